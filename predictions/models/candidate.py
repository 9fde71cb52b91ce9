"""A candidate prediction proposed from a summary document, waiting for a reviewer.

Not a `Prediction` with another status: a candidate is never flagged, never scored and
never exported, because until a reviewer accepts it nobody has decided it is a prediction.
Accepting creates the Prediction (and its first history row); merging links the candidate
to an existing one; rejecting keeps the row so a re-ingest does not propose it again.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from .catalogue import Source, Speaker
from .choices import Attribution, Horizon, speaker_iff_attributed
from .prediction import CLAIM_MAX, MAX_TIMESTAMP, QUOTE_MAX, Prediction


class CandidateStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    MERGED = "merged", "Merged into a prediction"
    REJECTED = "rejected", "Rejected"


class CandidateQuerySet(models.QuerySet):
    def proposed(self) -> CandidateQuerySet:
        return self.filter(status=CandidateStatus.PROPOSED)


class Candidate(models.Model):
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="candidates")
    # sha256 of the normalised text and the section path: the same bullet ingested again
    # is the same candidate, an edited one is a new one.
    fingerprint = models.CharField(max_length=64)
    section = models.CharField(max_length=300, blank=True)
    line = models.PositiveIntegerField(default=0, help_text="Line in the ingested document.")
    # The prediction's limits, so whatever ingest proposes can be accepted: the text becomes
    # its quote (QUOTE_MAX; ingest skips a longer bullet), the claim is edited down to
    # CLAIM_MAX at the latest on the accept page.
    text = models.TextField(max_length=QUOTE_MAX, help_text="The sentence or bullet as the document has it.")
    claim = models.TextField(
        max_length=QUOTE_MAX,
        help_text=f"Editable; becomes the prediction's claim (at most {CLAIM_MAX:,} characters) when accepted.",
    )
    horizon = models.CharField(max_length=10, choices=Horizon.choices)
    horizon_as_said = models.CharField(max_length=100, default="unstated")
    due_on = models.DateField()
    speaker = models.ForeignKey(
        Speaker, on_delete=models.PROTECT, null=True, blank=True, related_name="candidates"
    )
    attribution = models.CharField(
        max_length=20, choices=Attribution.choices, default=Attribution.UNATTRIBUTED
    )
    source_timestamp = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_TIMESTAMP)],
        help_text="Seconds into the recording of the matching passage.",
    )
    passage = models.TextField(blank=True, help_text="The best-matching transcript passage.")
    match_score = models.FloatField(
        null=True, blank=True, help_text="0–100; empty when no transcript was given."
    )
    status = models.CharField(
        max_length=10, choices=CandidateStatus.choices, default=CandidateStatus.PROPOSED
    )
    prediction = models.ForeignKey(
        Prediction, on_delete=models.PROTECT, null=True, blank=True, related_name="candidates"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CandidateQuerySet.as_manager()

    class Meta:
        ordering = ["source", "line", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "fingerprint"], name="candidate_source_fingerprint_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CandidateStatus.values), name="candidate_status_valid"
            ),
            models.CheckConstraint(condition=Q(horizon__in=Horizon.values), name="candidate_horizon_valid"),
            models.CheckConstraint(
                condition=Q(attribution__in=Attribution.values), name="candidate_attribution_valid"
            ),
            # Same rule as a prediction's: a speaker exactly when something attributes one.
            speaker_iff_attributed("candidate_speaker_iff_attributed"),
            models.CheckConstraint(
                condition=(
                    Q(status__in=[CandidateStatus.ACCEPTED, CandidateStatus.MERGED])
                    & Q(prediction__isnull=False)
                )
                | (
                    ~Q(status__in=[CandidateStatus.ACCEPTED, CandidateStatus.MERGED])
                    & Q(prediction__isnull=True)
                ),
                name="candidate_prediction_iff_accepted_or_merged",
            ),
            models.CheckConstraint(
                condition=(Q(status=CandidateStatus.PROPOSED) & Q(decided_at__isnull=True))
                | (~Q(status=CandidateStatus.PROPOSED) & Q(decided_at__isnull=False)),
                name="candidate_decided_iff_not_proposed",
            ),
        ]
        indexes = [
            # The admin's Candidates list opens on what still waits for a decision.
            models.Index(fields=["status", "source", "line"], name="candidate_status_source_line"),
        ]

    def __str__(self) -> str:
        return self.claim if len(self.claim) <= 80 else self.claim[:79] + "…"

    @property
    def passage_not_found(self) -> bool:
        return self.match_score is not None and not self.passage
