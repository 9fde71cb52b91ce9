"""The prediction tracker's data: who said what would happen, by when, and every decision since.

A prediction's current status and outcome live on the prediction; every change to them is
also an `Event` row, written in the same transaction (see `decisions.py` and `tasks.py`).
Events are append-only: the model refuses updates and deletes, and database triggers
(migration 0002) refuse them for any other path too.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse


class Horizon(models.TextChoices):
    NEAR = "near", "Near term"
    MEDIUM = "medium", "Medium term"
    LONG = "long", "Long term"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    DUE = "due", "Due for review"
    RESOLVED = "resolved", "Resolved"


class Outcome(models.TextChoices):
    HELD_UP = "held_up", "Held up"
    PARTIALLY = "partially", "Partially held up"
    DID_NOT_HOLD_UP = "did_not_hold_up", "Did not hold up"
    UNRESOLVABLE = "unresolvable", "Unresolvable"


class UnresolvableReason(models.TextChoices):
    TOO_VAGUE = "too_vague", "Too vague to judge"
    CONDITION_NEVER_AROSE = "condition_never_arose", "The condition never arose"
    NOT_YET_KNOWABLE = "not_yet_knowable", "Not yet knowable"
    OTHER = "other", "Other (see note)"


class Attribution(models.TextChoices):
    """How the speaker of a prediction is known."""

    NAMED = "named", "Named in the source's text"
    TRANSCRIPT = "transcript", "From a labelled transcript"
    INFERRED = "inferred", "Inferred from an unlabelled transcript"
    UNATTRIBUTED = "unattributed", "Unattributed"


class StanceKind(models.TextChoices):
    AGREES = "agrees", "Agrees"
    DISPUTES = "disputes", "Disputes"


class SourceKind(models.TextChoices):
    PODCAST = "podcast", "Podcast"
    ARTICLE = "article", "Article"
    TALK = "talk", "Talk"
    INTERVIEW = "interview", "Interview"
    PAPER = "paper", "Paper"
    POST = "post", "Post"
    OTHER = "other", "Other"


# Default horizons (documented in README.md); every due date stays editable per prediction.
MEDIUM_TERM_YEARS = 3
LONG_TERM_YEARS = 20


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def default_due_on(horizon: str, stated_on: date, horizon_as_said: str = "") -> date:
    """The due date a horizon implies, before any per-prediction edit.

    Near term runs to the end of the year it was said in; medium and long term add a
    fixed number of years; "N years out" said explicitly wins over the default.
    """
    said = horizon_as_said.strip().lower()
    if said.endswith("years out") and said.split()[0].isdigit():
        return add_years(stated_on, int(said.split()[0]))
    if horizon == Horizon.NEAR:
        return date(stated_on.year, 12, 31)
    if horizon == Horizon.MEDIUM:
        return add_years(stated_on, MEDIUM_TERM_YEARS)
    if horizon == Horizon.LONG:
        return add_years(stated_on, LONG_TERM_YEARS)
    raise ValueError(f"unknown horizon {horizon!r}")


class Speaker(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    bio = models.CharField(max_length=500, blank=True, help_text="Short bio or affiliation.")
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.PODCAST)
    url = models.URLField(blank=True)
    published_on = models.DateField()

    class Meta:
        ordering = ["-published_on", "title"]

    def __str__(self) -> str:
        return self.title


# The attributions that name a speaker; the scorecard's strict filter keeps the first two.
ATTRIBUTED = [Attribution.NAMED, Attribution.TRANSCRIPT, Attribution.INFERRED]
ATTESTED = [Attribution.NAMED, Attribution.TRANSCRIPT]


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

    def open(self) -> PredictionQuerySet:
        return self.filter(status=Status.OPEN)

    def unattributed(self) -> PredictionQuerySet:
        return self.filter(speaker__isnull=True)


# Longest text a field takes, in characters: import, admin and database (migration 0007)
# alike. Far above any real claim or quote (the seed's longest quote is under 700), low
# enough that one record cannot turn a public page into megabytes.
CLAIM_MAX = 1_000
QUOTE_MAX = 5_000
CRITERIA_MAX = 2_000
NOTE_MAX = 5_000


class Prediction(models.Model):
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="predictions")
    key = models.SlugField(
        max_length=120, help_text="Stable identifier within the source, used by import and export."
    )
    claim = models.TextField(max_length=CLAIM_MAX, help_text="One testable sentence.")
    quote = models.TextField(
        max_length=QUOTE_MAX, blank=True, help_text="The words or paraphrase as the source has it."
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
        null=True, blank=True, help_text="Seconds into the recording, when known."
    )
    horizon = models.CharField(max_length=10, choices=Horizon.choices)
    horizon_as_said = models.CharField(max_length=100, default="unstated")
    stated_on = models.DateField()
    due_on = models.DateField()
    resolution_criteria = models.TextField(
        max_length=CRITERIA_MAX, help_text="What would count as holding up."
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
            models.CheckConstraint(
                condition=(Q(speaker__isnull=True) & Q(attribution=Attribution.UNATTRIBUTED))
                | (Q(speaker__isnull=False) & Q(attribution__in=ATTRIBUTED)),
                name="prediction_speaker_iff_attributed",
            ),
        ]
        indexes = [
            # Serves flag_due() in tasks.py, the daily django-q2 job:
            # status = 'open' AND due_on <= today.
            models.Index(
                fields=["due_on", "review_after"],
                name="prediction_open_due",
                condition=Q(status=Status.OPEN),
            ),
            # The admin's review queue: due for review, oldest due first.
            models.Index(fields=["status", "due_on"], name="prediction_status_due"),
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
        return self.speaker.name if self.speaker_id else "Unattributed (panel)"

    def clean(self) -> None:
        if self.stated_on and self.due_on and self.due_on < self.stated_on:
            raise ValidationError({"due_on": "The due date cannot be before the date it was stated."})
        if bool(self.speaker_id) != (self.attribution != Attribution.UNATTRIBUTED):
            raise ValidationError(
                {"attribution": "Choose a speaker and how they are known, or neither (unattributed)."}
            )


class Stance(models.Model):
    """A second speaker agreeing with or disputing a prediction someone else made.

    A dissent is scored on the opposite outcome (see scoring.stance_outcome)."""

    prediction = models.ForeignKey(Prediction, on_delete=models.CASCADE, related_name="stances")
    speaker = models.ForeignKey(Speaker, on_delete=models.PROTECT, related_name="stances")
    stance = models.CharField(max_length=10, choices=StanceKind.choices)
    source_timestamp = models.PositiveIntegerField(null=True, blank=True)
    excerpt = models.CharField(max_length=400, blank=True)
    attribution = models.CharField(max_length=12, choices=Attribution.choices, default=Attribution.INFERRED)
    attribution_note = models.CharField(max_length=1000, blank=True)

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


class EventKind(models.TextChoices):
    FLAGGED = "flagged", "Flagged due for review"
    RESOLVED = "resolved", "Resolved"
    RERESOLVED = "re_resolved", "Re-resolved"
    DEFERRED = "deferred", "Deferred"
    REOPENED = "reopened", "Reopened"
    ACCEPTED = "accepted", "Accepted from a candidate"
    ATTRIBUTED = "attributed", "Attribution changed"


class AppendOnlyError(Exception):
    """History rows are never changed or removed once written."""


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise AppendOnlyError("History rows cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("History rows cannot be deleted.")


class Event(models.Model):
    """One entry in a prediction's history: a flag, a decision, a deferral or a reopening."""

    prediction = models.ForeignKey(Prediction, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(help_text="When it happened.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prediction_events",
    )
    # Who, by name: the reviewer's username, "scheduler", or a reviewer from an imported
    # history who has no account here.
    actor_name = models.CharField(max_length=150)
    from_status = models.CharField(max_length=10, choices=Status.choices)
    to_status = models.CharField(max_length=10, choices=Status.choices)
    from_outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    to_outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    unresolvable_reason = models.CharField(max_length=30, choices=UnresolvableReason.choices, blank=True)
    review_after = models.DateField(null=True, blank=True)
    # At most NOTE_MAX characters: a trigger in the database (migration 0007), as this
    # table's other rules, because a CHECK added here would make SQLite rebuild the table
    # and drop its append-only triggers.
    note = models.TextField(max_length=NOTE_MAX, blank=True)
    evidence = models.JSONField(default=list, blank=True, help_text="Evidence links (URLs).")

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["prediction", "at"], name="event_prediction_at"),
            models.Index(fields=["at", "id"], name="event_at_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_name} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("History rows cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("History rows cannot be deleted.")


class JobRun(models.Model):
    """The scheduler's health: when each scheduled job last started and last succeeded."""

    name = models.CharField(max_length=100, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


# A job is late when it has not succeeded for this long (daily job + slack).
JOB_LATE_AFTER = timedelta(hours=26)


# Candidates (proposed by `manage.py ingest_summary`) live with the ingest code; imported
# here so that Django registers them as this app's model.
from .ingest.models import Candidate  # noqa: E402, F401
