"""A prediction: who said what would happen, where, by when, and where it stands now; and
the stances other speakers took on it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse

from ..scoring import stance_outcome, stance_tally
from .catalogue import Source, Speaker
from .choices import (
    ATTRIBUTED,
    SPEAKER_OR_NEITHER,
    UNATTRIBUTED_LABEL,
    Attribution,
    Horizon,
    Outcome,
    StanceKind,
    Status,
    UnresolvableReason,
    speaker_agrees,
    speaker_iff_attributed,
)


class PredictionQuerySet(models.QuerySet):
    def flaggable(self, as_of: date) -> PredictionQuerySet:
        """Open predictions whose due date (or deferral) has arrived by `as_of`.

        `<=`, never `==`: a day the scheduler missed is caught up on the next run.
        """
        return self.filter(status=Status.OPEN, due_on__lte=as_of).filter(
            Q(review_after__isnull=True) | Q(review_after__lte=as_of)
        )

    def due_for_review(self) -> PredictionQuerySet:
        return self.filter(status=Status.DUE)

    def resolved(self) -> PredictionQuerySet:
        return self.filter(status=Status.RESOLVED)

    def proposed(self) -> PredictionQuerySet:
        """An outcome proposed by one reviewer, waiting for a second (REVIEW_QUORUM = 2)."""
        return self.filter(status=Status.PROPOSED)

    def disputed(self) -> PredictionQuerySet:
        """Two reviewers disagreed on the outcome: waiting for a third to settle it."""
        return self.filter(status=Status.DISPUTED)

    def open(self) -> PredictionQuerySet:
        return self.filter(status=Status.OPEN)

    def not_yet_due(self) -> PredictionQuerySet:
        """Open and never deferred: waiting for the due date the speaker gave."""
        return self.open().filter(review_after__isnull=True)

    def deferred(self) -> PredictionQuerySet:
        """Open again after a reviewer deferred it: back in the queue on review_after."""
        return self.open().filter(review_after__isnull=False)

    def unattributed(self) -> PredictionQuerySet:
        return self.filter(speaker__isnull=True)


# Longest text a field takes, in characters: import, admin and database (migration 0007)
# alike. Far above any real claim or quote (the seed's longest quote is under 700), low
# enough that one record cannot turn a public page into megabytes.
CLAIM_MAX = 1_000
QUOTE_MAX = 5_000
CRITERIA_MAX = 2_000
NOTE_MAX = 5_000
# Seconds into a recording: 63 years, beyond any real one, and inside PostgreSQL's integer.
# Every entry checks it (import, ingest, the admin, migration 0009 in the database), so the
# API and the export, whose formats say the same bound, can always show what is stored.
MAX_TIMESTAMP = 2_000_000_000


class Prediction(models.Model):
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="predictions")
    key = models.SlugField(
        max_length=120, help_text="Stable identifier within the source, used by import and export."
    )
    # A TextField's max_length reaches its form only: the validators make full_clean() say
    # which field is too long (accepting a candidate), before the CHECK would refuse the row.
    claim = models.TextField(
        max_length=CLAIM_MAX, validators=[MaxLengthValidator(CLAIM_MAX)], help_text="One testable sentence."
    )
    quote = models.TextField(
        max_length=QUOTE_MAX,
        validators=[MaxLengthValidator(QUOTE_MAX)],
        blank=True,
        help_text="The words or paraphrase as the source has it.",
    )
    speaker = models.ForeignKey(
        Speaker,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predictions",
        help_text="Empty when the source does not name who said it (unattributed, said on the panel).",
    )
    attribution = models.CharField(
        max_length=12,
        choices=Attribution.choices,
        default=Attribution.UNATTRIBUTED,
        help_text="How the speaker is known.",
    )
    attribution_note = models.CharField(
        max_length=1000, blank=True, help_text="How the attribution was made, or why there is none."
    )
    source_note = models.CharField(
        max_length=1000,
        blank=True,
        help_text="Where the source's write-up and the recording differ (wording, horizon, time frame).",
    )
    excerpt = models.CharField(
        max_length=400, blank=True, help_text="The speaker's own words (verbatim, at most ~40 words)."
    )
    section = models.CharField(max_length=300, blank=True, help_text="Topic or section it came from.")
    source_timestamp = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_TIMESTAMP)],
        help_text="Seconds into the recording, when known.",
    )
    horizon = models.CharField(max_length=10, choices=Horizon.choices)
    horizon_as_said = models.CharField(max_length=100, default="unstated")
    stated_on = models.DateField()
    due_on = models.DateField()
    resolution_criteria = models.TextField(
        max_length=CRITERIA_MAX,
        validators=[MaxLengthValidator(CRITERIA_MAX)],
        help_text="What would count as holding up.",
    )
    # The through table (predictions_prediction_topics) is indexed both ways: its unique
    # (prediction, topic) for a row's topics, and (topic, prediction) (migration 0017) for a
    # topic's predictions, read from the index alone.
    topics = models.ManyToManyField(
        "Topic",
        blank=True,
        related_name="predictions",
        help_text="What it is about (the reviewed vocabulary of topics).",
    )
    probability = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="The speaker's own probability (0–1), only when they gave one.",
    )

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    unresolvable_reason = models.CharField(max_length=30, choices=UnresolvableReason.choices, blank=True)
    review_after = models.DateField(
        null=True, blank=True, help_text="Deferred: back in the review queue on this date."
    )
    flagged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # When the current outcome became known (its decision's known_on); resolved_at is when it
    # was recorded. Empty while there is no settled outcome.
    known_on = models.DateField(null=True, blank=True)
    # The scheduler's digest and weekly reminder stamp these after the e-mail went out.
    notified_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every decision; a save made from a stale page is refused (optimistic lock).
    version = models.PositiveIntegerField(default=1)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PredictionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        permissions = [("resolve_prediction", "Can record and change prediction outcomes")]
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="prediction_source_key_unique"),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("stated_on")),
                name="prediction_due_not_before_stated",
            ),
            models.CheckConstraint(
                condition=(Q(status=Status.RESOLVED) & ~Q(outcome=""))
                | (~Q(status=Status.RESOLVED) & Q(outcome="")),
                name="prediction_outcome_iff_resolved",
            ),
            models.CheckConstraint(
                condition=(Q(outcome=Outcome.UNRESOLVABLE) & ~Q(unresolvable_reason=""))
                | (~Q(outcome=Outcome.UNRESOLVABLE) & Q(unresolvable_reason="")),
                name="prediction_reason_iff_unresolvable",
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="prediction_status_valid"),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(outcome__in=Outcome.values),
                name="prediction_outcome_valid",
            ),
            models.CheckConstraint(condition=Q(horizon__in=Horizon.values), name="prediction_horizon_valid"),
            models.CheckConstraint(
                condition=Q(probability__isnull=True) | (Q(probability__gte=0) & Q(probability__lte=1)),
                name="prediction_probability_0_1",
            ),
            models.CheckConstraint(condition=~Q(claim=""), name="prediction_claim_not_empty"),
            *(
                models.CheckConstraint(
                    condition=LessThanOrEqual(Length(name), limit), name=f"prediction_{name}_length"
                )
                for name, limit in (
                    ("claim", CLAIM_MAX),
                    ("quote", QUOTE_MAX),
                    ("resolution_criteria", CRITERIA_MAX),
                )
            ),
            speaker_iff_attributed("prediction_speaker_iff_attributed"),
        ]
        indexes = [
            # Serves flag_due() in tasks.py, the daily django-q2 job:
            # status = 'open' AND due_on <= today.
            models.Index(
                fields=["due_on", "review_after"],
                name="prediction_open_due",
                condition=Q(status=Status.OPEN),
            ),
            # The admin's review queue (admin/filters.py ReviewQueueFilter): one status, oldest
            # due first, ties by id — due for review, open, resolved; "all" reads
            # prediction_due_id below. The id makes the ORDER BY an index walk, not a sort.
            models.Index(fields=["status", "due_on", "id"], name="prediction_status_due_id"),
            # The queue's "deferred" choice: open with a review date, a few among many open.
            models.Index(
                fields=["due_on", "id"],
                name="prediction_deferred_due_id",
                condition=Q(status=Status.OPEN, review_after__isnull=False),
            ),
            # The scorecard's "Coming due next" (scorecard.coming_due): open, by the date it
            # comes back to the queue.
            models.Index(
                Coalesce("review_after", "due_on"),
                F("id"),
                name="prediction_next_review",
                condition=Q(status=Status.OPEN),
            ),
            # The scorecard's "Recently resolved" (scorecard.recently_resolved), read backwards:
            # the latest known outcomes, latest recorded first on a day, then those recorded
            # before known_on existed (its NULLs, by resolved_at).
            models.Index(
                fields=["known_on", "resolved_at", "id"],
                name="prediction_recently_known",
                condition=Q(status=Status.RESOLVED),
            ),
            # The API's prediction list and the calendars: keyset pages on (due_on, id), so
            # a page is an index range scan however deep it is.
            models.Index(fields=["due_on", "id"], name="prediction_due_id"),
            models.Index(fields=["speaker", "due_on", "id"], name="prediction_speaker_due_id"),
        ]

    def __str__(self) -> str:
        return self.claim if len(self.claim) <= 80 else self.claim[:79] + "…"

    def get_absolute_url(self) -> str:
        return reverse("prediction-detail", args=[self.pk])

    @property
    def speaker_label(self) -> str:
        return self.speaker.name if self.speaker_id else UNATTRIBUTED_LABEL

    def clean(self) -> None:
        if self.stated_on and self.due_on and self.due_on < self.stated_on:
            raise ValidationError({"due_on": "The due date cannot be before the date it was stated."})
        if not speaker_agrees(bool(self.speaker_id), self.attribution):
            raise ValidationError({"attribution": SPEAKER_OR_NEITHER})


class StanceQuerySet(models.QuerySet):
    def tallies(self, *group_by: str) -> list[dict[str, Any]]:
        """One row per group: the `group_by` values, how many stances "agrees" and "disputes",
        how many were "inferred" from an unlabelled transcript, and their "tally" as scored for
        the speakers who took them (scoring.stance_tally), from one GROUP BY query whatever the
        number of stances."""
        rows = (
            self.values(*group_by, "stance", "attribution", "prediction__status", "prediction__outcome")
            .annotate(n=models.Count("pk"))
            .order_by()
        )
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(tuple(row[name] for name in group_by), []).append(row)
        return [
            {
                **dict(zip(group_by, values, strict=True)),
                **{kind: sum(r["n"] for r in members if r["stance"] == kind) for kind in StanceKind.values},
                "inferred": sum(r["n"] for r in members if r["attribution"] == Attribution.INFERRED),
                "tally": stance_tally(
                    (r["stance"], r["prediction__status"], r["prediction__outcome"], r["n"]) for r in members
                ),
            }
            for values, members in groups.items()
        ]


class Stance(models.Model):
    """A second speaker agreeing with or disputing a prediction someone else made.

    A dissent is scored on the opposite outcome (see scoring.stance_outcome)."""

    prediction = models.ForeignKey(Prediction, on_delete=models.CASCADE, related_name="stances")
    speaker = models.ForeignKey(Speaker, on_delete=models.PROTECT, related_name="stances")
    stance = models.CharField(max_length=10, choices=StanceKind.choices)
    source_timestamp = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(MAX_TIMESTAMP)]
    )
    excerpt = models.CharField(max_length=400, blank=True)
    attribution = models.CharField(max_length=12, choices=Attribution.choices, default=Attribution.INFERRED)
    attribution_note = models.CharField(max_length=1000, blank=True)

    objects = StanceQuerySet.as_manager()

    class Meta:
        ordering = ["prediction", "speaker"]
        constraints = [
            models.UniqueConstraint(
                fields=["prediction", "speaker"], name="stance_prediction_speaker_unique"
            ),
            models.CheckConstraint(condition=Q(stance__in=StanceKind.values), name="stance_kind_valid"),
            models.CheckConstraint(condition=Q(attribution__in=ATTRIBUTED), name="stance_attributed"),
        ]

    def __str__(self) -> str:
        return f"{self.speaker} {self.get_stance_display().lower()}: {self.prediction}"

    @property
    def scored_outcome(self) -> str:
        """The prediction's outcome as scored for this stance; "" while it is not yet judged."""
        prediction = self.prediction
        return stance_outcome(self.stance, prediction.outcome) if prediction.status == Status.RESOLVED else ""

    def get_scored_outcome_display(self) -> str:
        return Outcome(self.scored_outcome).label if self.scored_outcome else ""
