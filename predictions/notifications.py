"""E-mails to the reviewers: the digest of newly flagged predictions and the weekly reminder.

Both are marked sent on the predictions only after the mail server accepted the message,
so a failed send is simply sent by the next run (at least once, never silently dropped).
One message goes to all reviewers together, so it is either accepted for all or retried
for all: no reviewer is sent the same digest twice because another one's address failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .days import start_of
from .models import RESOLVE_PERMISSION, Event, Prediction, Status

logger = logging.getLogger(__name__)

# "Waiting for more than 7 days" and "at most once a week", counted in calendar days of
# the job's as_of date, so a daily run starting a few seconds late does not push the
# reminder to every eighth day.
REMINDER_AFTER_DAYS = 7


@dataclass(frozen=True)
class Listed:
    """One prediction as an e-mail lists it."""

    prediction: Prediction
    url: str
    waiting_days: int | None = None


def reviewer_emails() -> list[str]:
    """Addresses of every active user who may record outcomes (superusers included)."""
    # The backend that holds permissions, named: django-axes adds a second one (lockouts).
    users = (
        get_user_model()
        .objects.with_perm(
            RESOLVE_PERMISSION, is_active=True, backend="django.contrib.auth.backends.ModelBackend"
        )
        .exclude(email="")
    )
    return sorted({user.email for user in users})


def admin_url(prediction: Prediction) -> str:
    return settings.SITE_ROOT + reverse("admin:predictions_prediction_change", args=[prediction.pk])


def queue_url() -> str:
    # The queue filter's own parameter, so the list opens with "Due for review" shown as the
    # chosen status (a plain ?status__exact= lookup lists the same rows under "All").
    return settings.SITE_ROOT + reverse("admin:predictions_prediction_changelist") + "?status=due"


def pending_digest() -> QuerySet[Prediction]:
    """Flagged by the scheduler and not yet announced (a reopened prediction was never flagged
    by it: it is in the queue because a reviewer put it there)."""
    return (
        Prediction.objects.due_for_review()
        .filter(flagged_at__isnull=False, notified_at__isnull=True)
        .select_related("speaker", "source")
        .order_by("due_on", "pk")
    )


def announce(
    predictions: list[Prediction],
    *,
    waiting: str,
    mail: Callable[[list[str]], None],
    stamp: Callable[[list[int]], int],
) -> int:
    """Mail the reviewers about `predictions`, then stamp them; returns how many were listed.

    Stamped only after the mail went out (a failure raises and stamps nothing, so the next
    run tries again). With no reviewer address nothing is sent and nothing stamped: they
    stay pending for the first reviewer given the permission.
    """
    if not predictions:
        return 0
    recipients = reviewer_emails()
    if not recipients:
        logger.warning("%d predictions %s, but no reviewer has an e-mail address.", len(predictions), waiting)
        return 0
    mail(recipients)
    stamp([p.pk for p in predictions])
    return len(predictions)


def send_digest(now: datetime | None = None) -> int:
    """Send one digest listing every newly flagged prediction; returns how many it listed."""
    now = now or timezone.now()
    predictions = list(pending_digest())
    count = len(predictions)
    noun = "prediction is" if count == 1 else "predictions are"
    return announce(
        predictions,
        waiting="are due for review",
        mail=lambda recipients: _send(
            subject=f"{count} {noun} due for review",
            template="digest",
            context={"listed": [Listed(p, admin_url(p)) for p in predictions], "count": count},
            recipients=recipients,
        ),
        # Only what was listed, and only if still unannounced: a prediction flagged while the
        # mail was being sent goes in the next digest.
        stamp=lambda pks: Prediction.objects.filter(pk__in=pks, notified_at__isnull=True).update(
            notified_at=now
        ),
    )


def waiting_since() -> Coalesce:
    """When the prediction last entered the review queue: its latest history row into
    "due for review" (a flag or a reopening), else the flag stamp."""
    latest = Event.objects.filter(prediction=OuterRef("pk"), to_status=Status.DUE).order_by("-at", "-id")
    return Coalesce(Subquery(latest.values("at")[:1]), "flagged_at", "created_at")


def pending_reminder(as_of: date) -> QuerySet[Prediction]:
    """Due for review for more than 7 days, and not reminded of in the last 7 days."""
    waited_enough = start_of(as_of - timedelta(days=REMINDER_AFTER_DAYS))
    reminded_recently = start_of(as_of - timedelta(days=REMINDER_AFTER_DAYS - 1))
    return (
        Prediction.objects.due_for_review()
        .annotate(waiting_since=waiting_since())
        .filter(waiting_since__lt=waited_enough)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=reminded_recently))
        # Still waiting for its digest: that one is retried instead, not doubled up.
        .exclude(Exists(pending_digest().filter(pk=OuterRef("pk"))))
        .select_related("speaker", "source")
        .order_by("due_on", "pk")
    )


def send_reminder(as_of: date, now: datetime | None = None) -> int:
    """List the predictions left waiting in the queue for more than 7 days; returns how many."""
    now = now or timezone.now()
    predictions = list(pending_reminder(as_of))
    count = len(predictions)
    noun = "prediction has" if count == 1 else "predictions have"
    listed = [
        Listed(p, admin_url(p), waiting_days=(as_of - timezone.localdate(p.waiting_since)).days)
        for p in predictions
    ]
    return announce(
        predictions,
        waiting="wait for review",
        mail=lambda recipients: _send(
            subject=f"Reminder: {count} {noun} waited more than {REMINDER_AFTER_DAYS} days for review",
            template="reminder",
            context={"listed": listed, "count": count, "days": REMINDER_AFTER_DAYS},
            recipients=recipients,
        ),
        # Only those still due: one decided while the mail went out is not "reminded of".
        stamp=lambda pks: Prediction.objects.filter(pk__in=pks, status=Status.DUE).update(reminded_at=now),
    )


def _send(*, subject: str, template: str, context: dict[str, object], recipients: list[str]) -> None:
    context = {**context, "queue_url": queue_url(), "subject": subject}
    text = render_to_string(f"predictions/email/{template}.txt", context)
    html = render_to_string(f"predictions/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, recipients)
    message.attach_alternative(html, "text/html")
    # Raises on failure (fail_silently is off): the caller stamps nothing then.
    message.send()
