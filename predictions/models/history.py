"""Every decision since: the append-only history, and the scheduler's own health row.

Events are append-only: the model refuses updates and deletes, and database triggers
(migration 0002) refuse them for any other path too.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models

from .choices import Outcome, Status, UnresolvableReason
from .prediction import NOTE_MAX, Prediction


class EventKind(models.TextChoices):
    FLAGGED = "flagged", "Flagged due for review"
    RESOLVED = "resolved", "Resolved"
    RERESOLVED = "re_resolved", "Re-resolved"
    DEFERRED = "deferred", "Deferred"
    REOPENED = "reopened", "Reopened"
    ACCEPTED = "accepted", "Accepted from a candidate"
    ATTRIBUTED = "attributed", "Attribution changed"
    # A prediction's own fields (claim, due date, criteria...) changed by an import.
    EDITED = "edited", "Details changed"
    # A panel's first outcome, and a second reviewer's different one (settings.REVIEW_QUORUM).
    PROPOSED = "proposed", "Outcome proposed"
    DISPUTED = "disputed", "Outcome disputed"


class AppendOnlyError(Exception):
    """History rows are never changed or removed once written."""


class EventQuerySet(models.QuerySet):
    def announced(self) -> EventQuerySet:
        """What the feeds announce: an outcome settled (recorded, confirmed by a second
        reviewer, or a dispute settled by a third) and a settled outcome withdrawn. A panel's
        proposal, a dispute and the withdrawal of either settled nothing and are not news."""
        return self.filter(
            models.Q(kind__in=(EventKind.RESOLVED, EventKind.RERESOLVED))
            | models.Q(kind=EventKind.REOPENED, from_status=Status.RESOLVED)
        )

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
    # When the outcome became known, as the reviewer says (a decision's own date); `at` is
    # when it was recorded. Nullable with no default: SQLite adds the column in place
    # (ALTER TABLE ADD COLUMN) instead of rebuilding the table and its triggers.
    known_on = models.DateField(null=True, blank=True, help_text="When the outcome became known.")
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
# The daily job: its django-q2 Schedule's name (also its tasks' group) and the JobRun row
# that records its health, and the function it runs. Here, below the task and the health
# check, so both read the one name.
JOB_NAME = "flag due predictions"
TASK_FUNC = "predictions.tasks.run_scheduled_review"
# The daily mail to readers who follow a speaker (predictions/following.py).
FOLLOW_JOB_NAME = "mail followers"
FOLLOW_TASK_FUNC = "predictions.following.send_follow_mail"
