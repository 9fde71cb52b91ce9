"""What each history event does to a prediction: the one table every writer reads.

A reviewer's decision (`decisions.py`), the scheduler's flag (`tasks.py`) and a history
re-import (`importing/history.py`, which replays events to recompute a prediction's state)
all turn a `Step` into column changes through `TRANSITIONS`, and into its history row
through `history_row()`. A new kind of event, or a new stamp, is added here once.

Which decision a reviewer may take, and when, is here too (`ALLOWED`, `refusal()` and the
guards below): `decisions.py` enforces it, the admin offers only the decisions it allows and
the forms show its words, so a rule and its refusal are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .models import Event, EventKind, Outcome, Status, UnresolvableReason

# The prediction's columns that its history decides; replaying the events rebuilds them.
STATE_FIELDS = (
    "status",
    "outcome",
    "unresolvable_reason",
    "review_after",
    "flagged_at",
    "resolved_at",
    "known_on",
)
INITIAL_STATE: dict[str, Any] = {
    "status": Status.OPEN,
    "outcome": "",
    "unresolvable_reason": "",
    "review_after": None,
    "flagged_at": None,
    "resolved_at": None,
    "known_on": None,
}


@dataclass(frozen=True)
class Step:
    """One event as it changes a prediction: its kind, its time and what it carries."""

    kind: str
    at: datetime
    outcome: str = ""  # resolved / re_resolved
    reason: str = ""  # an unresolvable outcome's reason
    review_after: date | None = None  # deferred
    known_on: date | None = None  # an outcome decision: when the outcome became known


def _flagged(step: Step) -> dict[str, Any]:
    # A prediction back from a deferral is announced again, as newly due.
    return {"status": Status.DUE, "flagged_at": step.at, "notified_at": None, "reminded_at": None}


def _resolved(step: Step) -> dict[str, Any]:
    return {
        "status": Status.RESOLVED,
        "outcome": step.outcome,
        "unresolvable_reason": step.reason,
        "resolved_at": step.at,
        "known_on": step.known_on,
        "review_after": None,
    }


def _pending(status: str) -> Callable[[Step], dict[str, Any]]:
    # A panel's outcome not yet settled: the outcome stays in the history row (to_outcome),
    # never on the prediction, so nothing that counts outcomes (the tally's triggers, the
    # scorecard, the feeds) can count it.
    def change(step: Step) -> dict[str, Any]:
        return {
            "status": status,
            "outcome": "",
            "unresolvable_reason": "",
            "resolved_at": None,
            "known_on": None,
            "review_after": None,
        }

    return change


def _deferred(step: Step) -> dict[str, Any]:
    # The due date the speaker gave is never rewritten: deferral has its own date.
    return {"status": Status.OPEN, "review_after": step.review_after}


def _reopened(step: Step) -> dict[str, Any]:
    return {
        "status": Status.DUE,
        "outcome": "",
        "unresolvable_reason": "",
        "resolved_at": None,
        "known_on": None,
    }


def _accepted(step: Step) -> dict[str, Any]:
    # A prediction accepted from an ingested candidate starts its history open.
    return {"status": Status.OPEN}


def _unchanged(step: Step) -> dict[str, Any]:
    # Recorded for the history (who said it, or what it says, changed); the review state
    # stays as it was.
    return {}


TRANSITIONS: dict[str, Callable[[Step], dict[str, Any]]] = {
    EventKind.FLAGGED: _flagged,
    EventKind.RESOLVED: _resolved,
    EventKind.RERESOLVED: _resolved,
    EventKind.DEFERRED: _deferred,
    EventKind.REOPENED: _reopened,
    EventKind.ACCEPTED: _accepted,
    EventKind.ATTRIBUTED: _unchanged,
    EventKind.EDITED: _unchanged,
    EventKind.PROPOSED: _pending(Status.PROPOSED),
    EventKind.DISPUTED: _pending(Status.DISPUTED),
}

# The kinds of event that carry an outcome (to_outcome, known_on): a decision on one.
OUTCOME_KINDS = frozenset({EventKind.RESOLVED, EventKind.RERESOLVED, EventKind.PROPOSED, EventKind.DISPUTED})

# The status each kind of event leaves a prediction in (what an imported row must say);
# a kind missing here leaves the status as it was.
TO_STATUS: dict[str, str] = {
    kind: after["status"]
    for kind, change in TRANSITIONS.items()
    if "status" in (after := change(Step(kind, datetime.min)))
}


# A history row's columns a replay reads, in Step's order (`step_of`).
STEP_COLUMNS = ("kind", "at", "to_outcome", "unresolvable_reason", "review_after", "known_on")


def step_of(kind: str, at: datetime, *values: Any) -> Step:
    """The step a history row records, from its STEP_COLUMNS values."""
    outcome, reason, review_after, known_on = values
    return Step(kind, at, outcome=outcome, reason=reason, review_after=review_after, known_on=known_on)


def changes(step: Step) -> dict[str, Any]:
    """The prediction's columns as `step` leaves them (only those it changes)."""
    return TRANSITIONS[step.kind](step)


def history_row(  # noqa: PLR0913 - keyword-only, one per column of the history row
    prediction_id: int,
    *,
    from_status: str,
    from_outcome: str,
    step: Step,
    actor_id: int | None,
    actor_name: str,
    note: str = "",
    evidence: Sequence[str] = (),
) -> Event:
    """The (unsaved) history row that records `step` on a prediction that stood at
    `from_status`/`from_outcome`."""
    after = changes(step)
    return Event(
        prediction_id=prediction_id,
        kind=step.kind,
        at=step.at,
        actor_id=actor_id,
        actor_name=actor_name,
        from_status=from_status,
        to_status=after.get("status", from_status),
        from_outcome=from_outcome,
        # A proposal or a dispute leaves the prediction without an outcome; its row keeps
        # the outcome it put forward.
        to_outcome=step.outcome or after.get("outcome", from_outcome),
        unresolvable_reason=step.reason,
        review_after=step.review_after,
        known_on=step.known_on,
        note=note,
        evidence=list(evidence),
    )


def replay(steps: Iterable[Step]) -> dict[str, Any]:
    """A prediction's state (STATE_FIELDS) after its events, oldest first.

    A step changes the state only from a status it may be taken from (`REPLAYS_FROM`): a
    history merged from two databases (an import of an export made elsewhere) can hold a
    flag or a deferral after an outcome, which neither the job nor a reviewer would have
    recorded on a resolved prediction; it stays in the history and changes nothing."""
    state = dict(INITIAL_STATE)
    for step in steps:
        if state["status"] not in REPLAYS_FROM.get(step.kind, ANY_STATUS):
            continue
        state.update({k: v for k, v in changes(step).items() if k in INITIAL_STATE})
    return state


# A reviewer's decisions, by the name the admin's forms use, and the event each one records.
RESOLVE, DEFER, REOPEN, CONFIRM, DISPUTE = "resolve", "defer", "reopen", "confirm", "dispute"
DECISIONS = (RESOLVE, DEFER, REOPEN, CONFIRM, DISPUTE)


@dataclass(frozen=True)
class Allowed:
    """The statuses a decision may be taken from, and what the reviewer is told otherwise."""

    from_statuses: frozenset[str]
    refused: str = ""


ALLOWED: dict[str, Allowed] = {
    # Resolving a resolved prediction is allowed: it is a re-resolution (`decision_kind`);
    # resolving a disputed one is the third reviewer's decision that settles it.
    RESOLVE: Allowed(
        frozenset(Status.values) - {Status.PROPOSED},
        "An outcome is proposed: confirm it, dispute it with another outcome, or reopen it.",
    ),
    DEFER: Allowed(frozenset({Status.OPEN, Status.DUE}), "A resolved prediction is reopened, not deferred."),
    # Reopening withdraws an outcome, settled or not: a proposal, or a dispute nobody settles.
    REOPEN: Allowed(
        frozenset({Status.RESOLVED, Status.PROPOSED, Status.DISPUTED}),
        "Only a resolved prediction can be reopened.",
    ),
    CONFIRM: Allowed(frozenset({Status.PROPOSED}), "Only a proposed outcome can be confirmed."),
    DISPUTE: Allowed(frozenset({Status.PROPOSED}), "Only a proposed outcome can be disputed."),
}

ANY_STATUS = frozenset(Status.values)
# The statuses a replayed step applies from (replay()); a kind missing here applies from
# any. The flag job flags only what is not resolved; the reviewers' rule is ALLOWED.
REPLAYS_FROM: dict[str, frozenset[str]] = {
    EventKind.FLAGGED: frozenset({Status.OPEN, Status.DUE}),
    EventKind.DEFERRED: ALLOWED[DEFER].from_statuses,
    EventKind.REOPENED: ALLOWED[REOPEN].from_statuses,
    EventKind.PROPOSED: ALLOWED[RESOLVE].from_statuses,
    EventKind.DISPUTED: ALLOWED[DISPUTE].from_statuses,
}

NOTE_REQUIRED = {
    RESOLVE: "A note saying why is required.",
    DEFER: "A reason for deferring is required.",
    REOPEN: "A note saying why is required.",
}
UNKNOWN_OUTCOME = "Unknown outcome {outcome!r}."
REASON_NEEDED = "Say why it is unresolvable."
REASON_UNWANTED = "A reason is only given for an unresolvable outcome."
DEFER_TO_FUTURE = "Defer until a date in the future."
NOTE_REQUIRED |= {
    CONFIRM: "A note saying what you checked is required.",
    DISPUTE: "A note saying why is required.",
}
KNOWN_ON_REQUIRED = "Say when the outcome became known."
KNOWN_ON_FUTURE = "When it became known cannot be after today ({today})."
KNOWN_ON_BEFORE_SOURCE = (
    "When it became known cannot be before the source was published ({published_on}): "
    "the prediction was not yet made."
)
OWN_PROPOSAL = (
    "You proposed this outcome: a different reviewer confirms or disputes it. "
    "To change your proposal, reopen it."
)
SAME_AS_PROPOSED = "That is the proposed outcome: confirm it instead of disputing it."
SETTLER_TOOK_PART = (
    "You {role} this outcome: a dispute is settled by a third reviewer, who neither proposed nor disputed it."
)


@dataclass(frozen=True)
class Settlement:
    """How a prediction's outcome stands with its reviewers, as its history says: `stage`
    is "proposed" or "disputed" (not settled), "confirmed" (a second reviewer agreed),
    "settled" (a third reviewer decided a dispute), "decided" (one reviewer) or "" (none)."""

    stage: str
    proposal: Event | None = None
    dispute: Event | None = None
    decision: Event | None = None


def settlement(status: str, events: Sequence[Event]) -> Settlement:
    """Where `events` (a prediction's history, oldest first) leave its outcome at `status`."""
    latest: dict[str, Event] = {}
    for event in events:
        if event.kind in OUTCOME_KINDS:
            latest[event.kind] = event
            if event.kind in (EventKind.RESOLVED, EventKind.RERESOLVED):
                latest["decision"] = event
    proposal, dispute = latest.get(EventKind.PROPOSED), latest.get(EventKind.DISPUTED)
    if status == Status.PROPOSED:
        return Settlement("proposed", proposal=proposal)
    if status == Status.DISPUTED:
        return Settlement("disputed", proposal=proposal, dispute=dispute)
    decision = latest.get("decision")
    if status != Status.RESOLVED or decision is None:
        return Settlement("")
    stage = {Status.PROPOSED: "confirmed", Status.DISPUTED: "settled"}.get(decision.from_status, "decided")
    return Settlement(stage, proposal=proposal, dispute=dispute, decision=decision)


def refusal(decision: str, status: str) -> str:
    """Why `decision` cannot be taken on a prediction at `status`; "" when it can."""
    allowed = ALLOWED[decision]
    return "" if status in allowed.from_statuses else allowed.refused


def decision_kind(decision: str, status: str, quorum: int = 1, resolved_before: bool = False) -> str:
    """The kind of history row `decision` records on a prediction at `status`, `quorum`
    reviewers settling an outcome. `resolved_before`: a confirmed proposal replaced an
    outcome (it is announced as a re-resolution)."""
    if decision == RESOLVE:
        if quorum > 1 and status != Status.DISPUTED:
            return EventKind.PROPOSED  # a dispute's settlement is the third reviewer's alone
        return EventKind.RERESOLVED if status == Status.RESOLVED else EventKind.RESOLVED
    if decision == CONFIRM:
        return EventKind.RERESOLVED if resolved_before else EventKind.RESOLVED
    return {DEFER: EventKind.DEFERRED, REOPEN: EventKind.REOPENED, DISPUTE: EventKind.DISPUTED}[decision]


def known_on_refusal(known_on: date | None, today: date, published_on: date) -> str:
    """Why an outcome known on `known_on`, recorded on `today`, for a prediction whose source
    was published on `published_on`, is refused; "" when it is not."""
    if known_on is None:
        return KNOWN_ON_REQUIRED
    if known_on > today:
        return KNOWN_ON_FUTURE.format(today=today)
    if known_on < published_on:
        return KNOWN_ON_BEFORE_SOURCE.format(published_on=published_on)
    return ""


def outcome_refusal(outcome: str, reason: str) -> str:
    """Why an outcome with this unresolvable reason cannot be recorded; "" when it can."""
    if outcome not in Outcome.values:
        return UNKNOWN_OUTCOME.format(outcome=outcome)
    if outcome == Outcome.UNRESOLVABLE:
        return "" if reason in UnresolvableReason.values else REASON_NEEDED
    return REASON_UNWANTED if reason else ""


def deferral_refusal(until: date, today: date) -> str:
    """Why a deferral until `until`, decided on `today`, is refused; "" when it is not."""
    return "" if until > today else DEFER_TO_FUTURE
