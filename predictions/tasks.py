"""What the scheduler runs: flag predictions as they come due, then tell the reviewers.

`flag_due(as_of)` is the job. django-q2 runs it every day through `run_scheduled_review`
(installed by `manage.py install_schedule`); `manage.py flag_due_predictions` and the tests
call the same function the same way.

Each prediction is claimed with a conditional UPDATE whose row count is trusted (healthchecks'
"sort of optimistic lock"): however many workers or reruns race, only one UPDATE sees the row
still open, and only that one writes the history row, in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .decisions import SCHEDULER
from .models import EventKind, JobRun, Prediction, Status
from .notifications import send_digest, send_reminder
from .transitions import Step, changes, history_row

logger = logging.getLogger(__name__)

# The django-q2 Schedule's name and the JobRun row that records its health.
JOB_NAME = "flag due predictions"
TASK_FUNC = "predictions.tasks.run_scheduled_review"


def flag_due(as_of: date) -> int:
    """Flag every open prediction due (or back from deferral) on or before `as_of`.

    Returns how many this call flagged; predictions another worker flagged first are not
    counted. A prediction whose row fails is logged and skipped, and the next run tries it
    again: each flag commits on its own, so a failure or a killed worker leaves no
    half-written flag behind.
    """
    at = timezone.now()
    candidates = list(Prediction.objects.flaggable(as_of).values_list("pk", "due_on", "review_after"))
    flagged = 0
    for pk, due_on, review_after in candidates:
        try:
            flagged += flag_one(pk, as_of, at=at, note=_why(due_on, review_after, as_of))
        except Exception:
            logger.exception(
                "Could not flag prediction %s as due for review; skipped until the next run.", pk
            )
    return flagged


def flag_one(pk: int, as_of: date, *, at: datetime, note: str = "") -> int:
    """Claim one prediction; 1 if this call flagged it, 0 if it was not (or no longer) flaggable."""
    with transaction.atomic():
        # The WHERE repeats the whole flaggable rule, so a prediction resolved, deferred
        # or flagged by someone else since it was selected is left alone. On PostgreSQL a
        # concurrent claimer waits on the row lock, re-checks the WHERE against the
        # committed row and updates nothing.
        step = Step(EventKind.FLAGGED, at)
        claimed = (
            Prediction.objects.flaggable(as_of)
            .filter(pk=pk)
            .update(version=F("version") + 1, updated_at=at, **changes(step))
        )
        if claimed != 1:
            return 0
        history_row(
            pk,
            from_status=Status.OPEN,
            from_outcome="",
            step=step,
            actor_id=None,
            actor_name=SCHEDULER.name,
            note=note,
        ).save()
    return 1


def _why(due_on: date, review_after: date | None, as_of: date) -> str:
    if review_after is not None and review_after > due_on:
        return f"Back from deferral: review after {review_after:%Y-%m-%d} (due on {due_on:%Y-%m-%d})."
    return f"Due on {due_on:%Y-%m-%d}; flagged by the run as of {as_of:%Y-%m-%d}."


def run_scheduled_review() -> str:
    """The django-q2 task: flag what came due today, then send the digest and the reminder.

    The e-mails run after the flags are committed, so a mail server that is down never
    holds flagging back; what was not mailed is mailed by the next run. The run counts as
    a success (for the admin's "scheduler late" warning) only when all three steps worked.
    """
    started = timezone.now()
    as_of = timezone.localdate(started)
    _record(last_started_at=started)
    try:
        flagged = flag_due(as_of)
    except Exception as e:
        _record(last_error_at=timezone.now(), last_error=f"flagging: {e!r}")
        raise
    errors: list[str] = []
    try:
        digested = send_digest()
    except Exception as e:
        logger.exception("Could not send the reviewers' digest; it is retried on the next run.")
        errors.append(f"digest e-mail: {e!r}")
        digested = 0
    try:
        reminded = send_reminder(as_of)
    except Exception as e:
        logger.exception("Could not send the weekly reminder; it is retried on the next run.")
        errors.append(f"reminder e-mail: {e!r}")
        reminded = 0
    summary = f"{flagged_message(flagged, as_of)} Digest listed {digested}, reminder listed {reminded}."
    if errors:
        _record(last_error_at=timezone.now(), last_error="; ".join(errors))
        # Raising makes django-q2 record the run as a failure too.
        raise RuntimeError(f"{summary} Failed: {'; '.join(errors)}")
    _record(last_success_at=timezone.now())
    logger.info(summary)
    return summary


def flagged_message(count: int, as_of: date) -> str:
    noun = "prediction" if count == 1 else "predictions"
    return f"Flagged {count} {noun} as due for review (as of {as_of:%Y-%m-%d})."


def _record(**fields: object) -> None:
    """Stamp the job's health row; a plain UPDATE, so two runs never lose each other's stamp."""
    JobRun.objects.get_or_create(name=JOB_NAME)
    JobRun.objects.filter(name=JOB_NAME).update(**fields)
