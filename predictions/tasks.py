"""What the scheduler runs: flag predictions as they come due, then tell the reviewers.

`flag_due(as_of)` is the job. django-q2 runs it every day through `run_scheduled_review`
(installed by `manage.py install_schedule`); `manage.py flag_due_predictions` and the tests
call the same function the same way.

Due predictions are claimed in batches of FLAG_BATCH_SIZE, one transaction each: the batch is
locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent runs take different batches),
changed by one conditional UPDATE that repeats the whole flaggable rule, and given its
history rows by one INSERT. A run killed part-way leaves whole batches behind, committed or
not, and the next run takes the rest. A batch that fails is retried one prediction at a time
(`flag_one`), so one bad row is logged and skipped without holding up the others.

A batch or a single flag that lost a race with another writer (`races.retried`: a deadlock,
a serialization failure) is run again whole first. The job locks only predictions while it
works, in pk order; the tally and version rows are written as it commits (migration 0011),
so it forms no wait cycle with a decision or an import.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import races
from .actors import SCHEDULER
from .bulk import insert_like
from .models import JOB_NAME, EventKind, JobRun, Prediction, Status
from .notifications import send_digest, send_reminder
from .transitions import Step, changes, history_row

logger = logging.getLogger(__name__)


# Predictions claimed per transaction. Each commit folds the batch's tally deltas (migration
# 0015), and a batch of consecutive pks touches nearly every speaker's and source's tally
# rows, so the fold costs about the same whatever the batch's size: at 2,000 a 250,000-row
# backlog paid 125 folds (9 of its 41 s at a million predictions), at 20,000 it pays 13.
# Larger still saves little more, and holds a reviewer who decides one of the batch's
# predictions longer (a batch commits in a second or two) and makes a failed batch's
# row-by-row retry longer. The pk list (one bind parameter each) stays well under
# PostgreSQL's 65,535 per statement.
FLAG_BATCH_SIZE = 20_000

# (pk, due_on, review_after): what a flag's note is written from.
Due = tuple[int, date, date | None]


def flag_due(as_of: date) -> int:
    """Flag every open prediction due (or back from deferral) on or before `as_of`.

    Returns how many this call flagged; predictions another worker flagged first are not
    counted. A prediction whose row fails is logged and skipped, and the next run tries it
    again: each batch commits on its own, so a failure or a killed worker leaves no
    half-written flag behind.
    """
    at = timezone.now()
    flagged = 0
    held: list[Due] = []
    after = 0
    while True:
        # Keyset pages by pk: each page starts where the last ended, so the whole run reads
        # the table once however many batches it takes, and a row that keeps failing is
        # passed by rather than picked up again forever.
        page: list[Due] = list(
            Prediction.objects.flaggable(as_of)
            .filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "due_on", "review_after")[:FLAG_BATCH_SIZE]
        )
        if not page:
            break
        after = page[-1][0]
        claimed, passed = _flag_page(page, as_of, at, skip_locked=True)
        flagged += claimed
        held.extend(passed)
    # Rows another run had locked when this one came to them (or flagged in between): wait
    # for that run's transaction, then take whatever it left flaggable, which is nothing
    # unless it failed or died.
    for start in range(0, len(held), FLAG_BATCH_SIZE):
        flagged += _flag_page(held[start : start + FLAG_BATCH_SIZE], as_of, at, skip_locked=False)[0]
    return flagged


def _flag_page(page: Sequence[Due], as_of: date, at: datetime, *, skip_locked: bool) -> tuple[int, list[Due]]:
    """Flag a page as one batch, or one by one when the batch fails: how many were flagged,
    and the rows passed over because another transaction held them."""
    try:
        claimed = flag_batch([pk for pk, _, _ in page], as_of, at=at, skip_locked=skip_locked)
        return len(claimed), [row for row in page if row[0] not in claimed]
    except Exception as e:
        # Not an error yet: the row-by-row retry logs the row that really fails.
        logger.warning(
            "Could not flag a batch of %d predictions (%r); retrying them one by one.", len(page), e
        )
    flagged = 0
    for pk, due_on, review_after in page:
        # flag_one waits for a row another run holds, so nothing is passed over here.
        try:
            flagged += flag_one(pk, as_of, at=at, note=_why(due_on, review_after, as_of))
        except Exception:
            logger.exception(
                "Could not flag prediction %s as due for review; skipped until the next run.", pk
            )
    return flagged, []


def flag_batch(pks: Sequence[int], as_of: date, *, at: datetime, skip_locked: bool = True) -> set[int]:
    """Flag those of `pks` still flaggable, in one transaction; the pks this call flagged.

    With `skip_locked`, rows another transaction holds are left out instead of waited for.
    """
    return races.retried(lambda: _flag_batch(pks, as_of, at=at, skip_locked=skip_locked))


def _flag_batch(pks: Sequence[int], as_of: date, *, at: datetime, skip_locked: bool) -> set[int]:
    step = Step(EventKind.FLAGGED, at)
    with transaction.atomic():
        # Locked in pk order, so two runs that both wait never wait on each other. On SQLite
        # select_for_update() does nothing, and needs to: the transaction (IMMEDIATE, see
        # settings) holds the database's write lock from its first statement.
        mine: list[Due] = list(
            Prediction.objects.flaggable(as_of)
            .filter(pk__in=pks)
            .order_by("pk")
            .select_for_update(skip_locked=skip_locked)
            .values_list("pk", "due_on", "review_after")
        )
        if not mine:
            return set()
        claimed = [pk for pk, _, _ in mine]
        # The WHERE repeats the whole flaggable rule, as flag_one's does.
        updated = (
            Prediction.objects.flaggable(as_of)
            .filter(pk__in=claimed)
            .update(version=F("version") + 1, updated_at=at, **changes(step))
        )
        if updated != len(claimed):
            # Locked rows cannot change under this transaction; if they did anyway, writing
            # history for all of them could record a flag that did not happen.
            raise RuntimeError(f"flagged {updated} of the {len(claimed)} predictions locked")
        # One statement for the batch's history rows (bulk.py: COPY on PostgreSQL). Every
        # row is the same history_row but for its prediction and its note: built once, not
        # once per row (a quarter of the job's time at a 250,000-row backlog).
        insert_like(
            history_row(
                claimed[0],
                from_status=Status.OPEN,
                from_outcome="",
                step=step,
                actor_id=None,
                actor_name=SCHEDULER.name,
            ),
            ("prediction_id", "note"),
            ((pk, _why(due_on, review_after, as_of)) for pk, due_on, review_after in mine),
        )
    return set(claimed)


def flag_one(pk: int, as_of: date, *, at: datetime, note: str = "") -> int:
    """Claim one prediction; 1 if this call flagged it, 0 if it was not (or no longer) flaggable."""
    return races.retried(lambda: _flag_one(pk, as_of, at=at, note=note))


def _flag_one(pk: int, as_of: date, *, at: datetime, note: str) -> int:
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
