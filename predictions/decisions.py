"""Reviewers' decisions on a prediction: resolve, re-resolve, defer, reopen; and on a panel
(settings.REVIEW_QUORUM = 2) confirm or dispute a proposed outcome, and settle a dispute.

An outcome decision says when the outcome became known (`known_on`), apart from when it is
recorded (the event's `at`). With a quorum of 2, a reviewer's outcome is proposed until a
different reviewer confirms it; a different outcome from the second disputes it, and a
third reviewer, who neither proposed nor disputed it, settles it with their own decision.

Each one changes the prediction and writes its history row in one transaction, and only
if the prediction is still at the version the reviewer saw: a conditional UPDATE whose
row count is trusted, so a decision made on a stale page is refused, never applied over
someone else's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import races, transitions
from .actors import Actor
from .models import Event, EventKind, Prediction, Status
from .transitions import CONFIRM, DEFER, DISPUTE, REOPEN, RESOLVE, Step, changes, history_row

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


def quorum() -> int:
    """How many reviewers settle an outcome (settings.REVIEW_QUORUM): 1 or 2."""
    return settings.REVIEW_QUORUM


def _known_on(prediction: Prediction, known_on: date | None, at: datetime) -> date:
    # Not given (a caller in Python, not a form, which requires it): the day it is recorded,
    # as a version-1 or 2 history file's decisions are read.
    known_on = timezone.localdate(at) if known_on is None else known_on
    _refuse(transitions.known_on_refusal(known_on, timezone.localdate(at), prediction.source.published_on))
    return known_on


def _is(event: Event, actor: Actor) -> bool:
    """Did `actor` write `event`? By account when both have one, else by name."""
    if event.actor_id is not None and actor.user is not None:
        return event.actor_id == actor.user.pk
    return event.actor_name == actor.name


def _latest(prediction: Prediction, kind: str) -> Event:
    event = prediction.events.filter(kind=kind).order_by("-at", "-id").first()
    if event is None:  # a status without its event: only a hand-edited database
        raise DecisionError(f"This prediction has no {EventKind(kind).label.lower()} in its history.")
    return event


def _refuse_a_settler_who_took_part(prediction: Prediction, actor: Actor) -> None:
    for kind, role in ((EventKind.PROPOSED, "proposed"), (EventKind.DISPUTED, "disputed")):
        if _is(_latest(prediction, kind), actor):
            raise DecisionError(transitions.SETTLER_TOOK_PART.format(role=role))


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
    known_on: date | None = None,
) -> Event:
    """Record an outcome; a second decision on a resolved prediction is a re-resolution.

    With a quorum of 2 the outcome is proposed, not recorded; on a disputed prediction it
    settles the dispute (and only a reviewer who took no part in it may)."""
    _refuse(transitions.outcome_refusal(outcome, reason))
    _refuse_without_note(RESOLVE, note)
    _refuse(transitions.refusal(RESOLVE, prediction.status))
    at = at or timezone.now()
    known_on = _known_on(prediction, known_on, at)
    if prediction.status == Status.DISPUTED:
        _refuse_a_settler_who_took_part(prediction, actor)
    kind = transitions.decision_kind(RESOLVE, prediction.status, quorum())
    return _apply(
        prediction,
        expected_version=expected_version,
        step=Step(kind, at, outcome=outcome, reason=reason, known_on=known_on),
        actor=actor,
        note=note,
        evidence=evidence,
    )


def confirm(  # noqa: PLR0913 - keyword-only, each a part of the decision
    prediction: Prediction,
    *,
    note: str,
    actor: Actor,
    evidence: Sequence[str] = (),
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Event:
    """A second reviewer agrees with the proposed outcome: it is recorded, as proposed
    (outcome, reason, known on), and counts from now."""
    _refuse(transitions.refusal(CONFIRM, prediction.status))
    _refuse_without_note(CONFIRM, note)
    proposal = _latest(prediction, EventKind.PROPOSED)
    if _is(proposal, actor):
        raise DecisionError(transitions.OWN_PROPOSAL)
    kind = transitions.decision_kind(
        CONFIRM, prediction.status, resolved_before=proposal.from_status == Status.RESOLVED
    )
    step = Step(
        kind,
        at or timezone.now(),
        outcome=proposal.to_outcome,
        reason=proposal.unresolvable_reason,
        known_on=proposal.known_on,
    )
    return _apply(
        prediction, expected_version=expected_version, step=step, actor=actor, note=note, evidence=evidence
    )


def dispute(  # noqa: PLR0913 - keyword-only, each a part of the decision
    prediction: Prediction,
    *,
    outcome: str,
    note: str,
    actor: Actor,
    evidence: Sequence[str] = (),
    reason: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
    known_on: date | None = None,
) -> Event:
    """A second reviewer puts a different outcome against the proposed one: the prediction is
    disputed, counted as neither, until a third reviewer settles it (`resolve`)."""
    _refuse(transitions.outcome_refusal(outcome, reason))
    _refuse_without_note(DISPUTE, note)
    _refuse(transitions.refusal(DISPUTE, prediction.status))
    at = at or timezone.now()
    known_on = _known_on(prediction, known_on, at)
    proposal = _latest(prediction, EventKind.PROPOSED)
    if _is(proposal, actor):
        raise DecisionError(transitions.OWN_PROPOSAL)
    if (outcome, reason) == (proposal.to_outcome, proposal.unresolvable_reason):
        raise DecisionError(transitions.SAME_AS_PROPOSED)
    return _apply(
        prediction,
        expected_version=expected_version,
        step=Step(EventKind.DISPUTED, at, outcome=outcome, reason=reason, known_on=known_on),
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
    known_on: date | None = None,
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
                known_on=known_on,
            )
        except DecisionError as e:
            raise DecisionError(f"“{prediction}”: {e}") from e

    return _raced(write)
