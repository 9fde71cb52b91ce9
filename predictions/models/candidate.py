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
from .choices import ATTRIBUTED, Attribution, Horizon
from .prediction import CLAIM_MAX, MAX_TIMESTAMP, QUOTE_MAX, Prediction


class CandidateStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    MERGED = "merged", "Merged into a prediction"
    REJECTED = "rejected", "Rejected"


class PersonCandidate(models.Model):
    """Someone an ingested document or its transcript names as speaking, proposed with the
    claims: a stored speaker (`speaker` set) or a new one, created when a reviewer accepts a
    claim credited to them, in the same transaction."""

    class Found(models.TextChoices):
        OPENING = "opening", "Introduced in the opening paragraph"
        TITLE = "title", "Named in the title"
        HEADING = "heading", "Named in a heading or lead-in"
        TRANSCRIPT = "transcript", "A label in the transcript"
        STORED = "stored", "A stored speaker"

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="people")
    name = models.CharField(max_length=200)
    description = models.CharField(max_length=500, blank=True, help_text="From the opening paragraph.")
    found = models.CharField(max_length=20, choices=Found.choices)
    line = models.PositiveIntegerField(default=0)
    speaker = models.ForeignKey(
        Speaker, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The stored speaker this is; empty until one is created on accepting.",
    )  # fmt: skip

    class Meta:
        ordering = ["source", "line", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "name"], name="person_candidate_source_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


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
    # Who the document or transcript says it is when no stored speaker is yet: accepting
    # creates the speaker. `speaker` and `person` may both be set (a stored person).
    person = models.ForeignKey(
        PersonCandidate, on_delete=models.PROTECT, null=True, blank=True, related_name="candidates"
    )
    passage = models.TextField(blank=True, help_text="The best-matching transcript passage.")
    match_score = models.FloatField(
        null=True, blank=True, help_text="0–100; empty when no transcript was given."
    )
    # The best score at another moment (over 30 s away): close to match_score means unsure.
    runner_up_score = models.FloatField(null=True, blank=True)
    runner_up_timestamp = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(MAX_TIMESTAMP)]
    )
    reject_reason = models.CharField(max_length=500, blank=True)
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
            # A prediction's rule, with a proposed person standing in for a speaker not stored
            # yet: someone exactly when something attributes them.
            models.CheckConstraint(
                condition=(
                    Q(speaker__isnull=True) & Q(person__isnull=True) & Q(attribution=Attribution.UNATTRIBUTED)
                )
                | ((Q(speaker__isnull=False) | Q(person__isnull=False)) & Q(attribution__in=ATTRIBUTED)),
                name="candidate_someone_iff_attributed",
            ),
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
