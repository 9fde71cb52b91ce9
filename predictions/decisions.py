"""Reviewers' decisions on a prediction: resolve, re-resolve, defer, reopen.

Each one changes the prediction and writes its history row in one transaction, and only
if the prediction is still at the version the reviewer saw: a conditional UPDATE whose
row count is trusted, so a decision made on a stale page is refused, never applied over
someone else's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from typing import TypeVar

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import races, transitions
from .actors import Actor
from .models import Event, EventKind, Prediction
from .transitions import DEFER, REOPEN, RESOLVE, Step, changes, history_row

T = TypeVar("T")


class DecisionError(Exception):
    """The decision cannot be applied as asked; nothing was written."""


class StaleEdit(DecisionError):
    """Someone else changed the prediction since the reviewer loaded it."""


def _raced(write: Callable[[], T]) -> T:
    """races.retried, with its final refusal a DecisionError like any other refusal."""
    try:
        return races.retried(write)
    except races.LostRace as error:
        raise DecisionError(str(error)) from error


def _apply(  # noqa: PLR0913 - keyword-only, each a part of the decision
    prediction: Prediction,
    *,
    expected_version: int | None,
    step: Step,
    actor: Actor,
    note: str = "",
    evidence: Sequence[str] = (),
) -> Event:
    expected = prediction.version if expected_version is None else expected_version
    event = _raced(lambda: _write(prediction, expected, step, actor, note, evidence))
    prediction.refresh_from_db()
    return event


def _write(  # noqa: PLR0913 - the parts of one decision, as _apply was given them
    prediction: Prediction, expected: int, step: Step, actor: Actor, note: str, evidence: Sequence[str]
) -> Event:
    with transaction.atomic():
        current = Prediction.objects.select_for_update().get(pk=prediction.pk)
        if current.version != expected:
            raise StaleEdit(describe_change(prediction.pk))
        updated = Prediction.objects.filter(pk=prediction.pk, version=expected).update(
            version=F("version") + 1, updated_at=step.at, **changes(step)
        )
        if updated != 1:  # select_for_update is a no-op on SQLite; the row count is not
            raise StaleEdit(describe_change(prediction.pk))
        event = history_row(
            prediction.pk,
            from_status=current.status,
            from_outcome=current.outcome,
            step=step,
            actor_id=actor.user.pk if actor.user is not None else None,
            actor_name=actor.name,
            note=note,
            evidence=evidence,
        )
        event.save()
    return event


def describe_change(pk: int) -> str:
    """Name what changed since the reviewer's page was loaded: the latest history row."""
    latest = Event.objects.filter(prediction_id=pk).order_by("-at", "-id").first()
    updated_at = Prediction.objects.filter(pk=pk).values_list("updated_at", flat=True).first()
    what = "an edit"
    if latest is not None:
        what = f"{latest.get_kind_display()} by {latest.actor_name} at {latest.at:%Y-%m-%d %H:%M}"
        if latest.to_outcome:
            what += f", outcome {latest.get_to_outcome_display()}"
    # A decision stamps updated_at with its event's time; a later stamp is an edit of the
    # prediction's own fields (claim, due date...), which writes no history row.
    if updated_at is not None and (latest is None or updated_at > latest.at):
        what = f"its details were edited at {updated_at:%Y-%m-%d %H:%M}"
    return (
        f"This prediction was changed by someone else after you opened it ({what}). "
        "Nothing was saved: reload the page to see the change, then decide again."
    )


def _refuse(refusal: str) -> None:
    """Raise the transition table's refusal, if there is one."""
    if refusal:
        raise DecisionError(refusal)


def _refuse_without_note(decision: str, note: str) -> None:
    if not note.strip():
        raise DecisionError(transitions.NOTE_REQUIRED[decision])


def resolve(  # noqa: PLR0913 - keyword-only, each a part of the decision
    prediction: Prediction,
    *,
    outcome: str,
    note: str,
    actor: Actor,
    evidence: Sequence[str] = (),
    reason: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Event:
    """Record an outcome; a second decision on a resolved prediction is a re-resolution."""
    _refuse(transitions.outcome_refusal(outcome, reason))
    _refuse_without_note(RESOLVE, note)
    _refuse(transitions.refusal(RESOLVE, prediction.status))
    at = at or timezone.now()
    kind = transitions.decision_kind(RESOLVE, prediction.status)
    return _apply(
        prediction,
        expected_version=expected_version,
        step=Step(kind, at, outcome=outcome, reason=reason),
        actor=actor,
        note=note,
        evidence=evidence,
    )


def defer(  # noqa: PLR0913 - keyword-only, each a part of the decision
    prediction: Prediction,
    *,
    until: date,
    note: str,
    actor: Actor,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Event:
    """Take a prediction out of the queue until `until`; the scheduler brings it back.

    The due date the speaker gave is never rewritten: deferral has its own date.
    """
    at = at or timezone.now()
    _refuse_without_note(DEFER, note)
    _refuse(transitions.deferral_refusal(until, timezone.localdate(at)))
    _refuse(transitions.refusal(DEFER, prediction.status))
    return _apply(
        prediction,
        expected_version=expected_version,
        step=Step(EventKind.DEFERRED, at, review_after=until),
        actor=actor,
        note=note,
    )


def reopen(
    prediction: Prediction,
    *,
    note: str,
    actor: Actor,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Event:
    """Withdraw the current outcome; the prediction goes back to the review queue."""
    _refuse(transitions.refusal(REOPEN, prediction.status))
    _refuse_without_note(REOPEN, note)
    return _apply(
        prediction,
        expected_version=expected_version,
        step=Step(EventKind.REOPENED, at or timezone.now()),
        actor=actor,
        note=note,
    )


def record_attribution(
    prediction: Prediction,
    *,
    before: tuple[str, str],
    actor: Actor,
    note: str = "",
    at: datetime | None = None,
) -> Event | None:
    """The history row for a change of who said it: `before` is (speaker label, attribution)
    as they were; None when neither changed. The review state is left as it is."""
    after = (prediction.speaker_label, prediction.attribution)
    if after == before:
        return None
    what = f"Speaker: {before[0]} → {after[0]}; attribution: {before[1]} → {after[1]}."
    event = history_row(
        prediction.pk,
        from_status=prediction.status,
        from_outcome=prediction.outcome,
        step=Step(EventKind.ATTRIBUTED, at or timezone.now()),
        actor_id=actor.user.pk if actor.user is not None else None,
        actor_name=actor.name,
        note=f"{what} {note}".strip(),
    )
    event.save()
    return event


def resolve_many(  # noqa: PLR0913 - keyword-only, each a part of the decision
    predictions: Sequence[Prediction],
    *,
    selected: Collection[int],
    seen_versions: Mapping[int, str],
    outcome: str,
    note: str,
    actor: Actor,
    evidence: Sequence[str] = (),
    reason: str = "",
) -> int:
    """One outcome for each of `predictions`, one history row each: all of them or, on any
    refusal, none.

    `selected` is what the reviewer ticked; `seen_versions` the version of each prediction
    as the confirmation page showed it (text, as a form posts it). A ticked prediction that
    is not among `predictions` left the list (someone decided it meanwhile): applying the
    outcome to the rest alone would be a silent partial, so nothing is applied.
    """
    gone = Prediction.objects.filter(pk__in=set(selected) - {p.pk for p in predictions})
    for prediction in gone[:1]:
        raise DecisionError(f"“{prediction}”: {describe_change(prediction.pk)}")
    ordered = sorted(predictions, key=lambda p: p.pk)

    def write() -> int:
        with transaction.atomic():
            # Every prediction locked first, in id order, as every writer takes them: the
            # tally's and version's rows are touched only once all of them are held.
            list(Prediction.objects.select_for_update().filter(pk__in=[p.pk for p in ordered]).order_by("pk"))
            for prediction in ordered:
                prediction.refresh_from_db()  # as locked: an attempt that lost its race left none of its own
                _resolve_one(prediction)
        return len(ordered)

    def _resolve_one(prediction: Prediction) -> None:
        seen = seen_versions.get(prediction.pk, "")
        if not seen.isdigit():
            raise DecisionError(f"“{prediction}”: the confirmation page is incomplete; start again.")
        try:
            resolve(
                prediction,
                outcome=outcome,
                reason=reason,
                note=note,
                evidence=evidence,
                actor=actor,
                expected_version=int(seen),
            )
        except DecisionError as e:
            raise DecisionError(f"“{prediction}”: {e}") from e

    return _raced(write)
