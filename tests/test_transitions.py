"""The transition table: every kind of event has one rule, and replaying a prediction's
history through it gives back exactly the state the live writers left."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictions.decisions import Actor, DecisionError, confirm, defer, dispute, reopen, resolve
from predictions.models import EventKind, Outcome, Prediction, Status, UnresolvableReason
from predictions.tasks import flag_due
from predictions.transitions import (
    DECISIONS,
    STATE_FIELDS,
    STEP_COLUMNS,
    TO_STATUS,
    TRANSITIONS,
    Step,
    changes,
    decision_kind,
    deferral_refusal,
    outcome_refusal,
    refusal,
    replay,
    step_of,
)

AT = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)


def test_every_kind_of_event_has_a_transition() -> None:
    assert set(TRANSITIONS) == set(EventKind.values)


def test_each_kind_leaves_the_status_the_review_workflow_expects() -> None:
    assert TO_STATUS == {
        "flagged": Status.DUE,
        "resolved": Status.RESOLVED,
        "re_resolved": Status.RESOLVED,
        "deferred": Status.OPEN,
        "reopened": Status.DUE,
        "accepted": Status.OPEN,
        "proposed": Status.PROPOSED,
        "disputed": Status.DISPUTED,
    }  # "attributed" leaves the status as it was


def test_a_flag_announces_the_prediction_again() -> None:
    after = changes(Step(EventKind.FLAGGED, AT))
    assert after == {"status": Status.DUE, "flagged_at": AT, "notified_at": None, "reminded_at": None}


def test_a_resolution_clears_a_deferral_and_stamps_the_time() -> None:
    after = changes(Step(EventKind.RESOLVED, AT, outcome=Outcome.UNRESOLVABLE, reason="too_vague"))
    assert after["review_after"] is None
    assert after["resolved_at"] == AT
    assert (after["outcome"], after["unresolvable_reason"]) == (Outcome.UNRESOLVABLE, "too_vague")


def test_reopening_withdraws_the_outcome() -> None:
    after = changes(Step(EventKind.REOPENED, AT))
    assert after == {
        "status": Status.DUE,
        "outcome": "",
        "unresolvable_reason": "",
        "resolved_at": None,
        "known_on": None,
    }


def test_replaying_no_events_gives_a_new_prediction() -> None:
    state = replay([])
    assert state["status"] == Status.OPEN
    assert all(state[k] in ("", None) for k in STATE_FIELDS if k != "status")


def test_replay_keeps_the_flag_time_through_later_decisions() -> None:
    later = AT + timedelta(days=1)
    state = replay(
        [
            Step(EventKind.FLAGGED, AT),
            Step(EventKind.RESOLVED, later, outcome=Outcome.HELD_UP),
            Step(EventKind.REOPENED, later + timedelta(hours=1)),
        ]
    )
    assert state["status"] == Status.DUE
    assert state["flagged_at"] == AT
    assert state["resolved_at"] is None
    assert state["outcome"] == ""


# A random walk through the review workflow, through the real writers.
ACTIONS = st.lists(
    st.sampled_from(["flag", "held_up", "did_not_hold_up", "unresolvable", "defer", "reopen"]),
    max_size=8,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_replaying_the_history_gives_the_live_state(make_prediction, actions: list[str]) -> None:
    p = make_prediction(due_on=date(2026, 12, 31))
    actor = Actor(user=None, name="alice")
    day = date(2027, 1, 1)
    for i, action in enumerate(actions):
        at = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(days=i)
        p.refresh_from_db()
        with time_machine.travel(at, tick=False):
            try:
                if action == "flag":
                    flag_due(day + timedelta(days=i + 60))
                elif action in ("held_up", "did_not_hold_up", "unresolvable"):
                    reason = UnresolvableReason.TOO_VAGUE if action == "unresolvable" else ""
                    resolve(p, outcome=action, reason=reason, note="why", actor=actor, at=at)
                elif action == "defer":
                    defer(p, until=day + timedelta(days=i + 30), note="later", actor=actor, at=at)
                else:
                    reopen(p, note="again", actor=actor, at=at)
            except DecisionError:
                continue  # not allowed from this state: nothing was written
    p = Prediction.objects.get(pk=p.pk)
    steps = [step_of(*columns) for columns in p.events.order_by("at", "id").values_list(*STEP_COLUMNS)]
    assert replay(steps) == {k: getattr(p, k) for k in STATE_FIELDS}


# Every status × every decision: allowed (""), or the words the reviewer is shown.
MATRIX = {
    (Status.OPEN, "resolve"): "",
    (Status.DUE, "resolve"): "",
    (Status.RESOLVED, "resolve"): "",
    (Status.OPEN, "defer"): "",
    (Status.DUE, "defer"): "",
    (Status.RESOLVED, "defer"): "A resolved prediction is reopened, not deferred.",
    (Status.OPEN, "reopen"): "Only a resolved prediction can be reopened.",
    (Status.DUE, "reopen"): "Only a resolved prediction can be reopened.",
    (Status.RESOLVED, "reopen"): "",
    # A panel's states (REVIEW_QUORUM = 2): a proposal is confirmed, disputed or reopened; a
    # dispute is settled by an outcome (resolve) or reopened.
    (
        Status.PROPOSED,
        "resolve",
    ): "An outcome is proposed: confirm it, dispute it with another outcome, or reopen it.",
    (Status.DISPUTED, "resolve"): "",
    (Status.PROPOSED, "defer"): "A resolved prediction is reopened, not deferred.",
    (Status.DISPUTED, "defer"): "A resolved prediction is reopened, not deferred.",
    (Status.PROPOSED, "reopen"): "",
    (Status.DISPUTED, "reopen"): "",
    **{
        (status, decision): f"Only a proposed outcome can be {decision.removesuffix('e')}ed."
        for status in (Status.OPEN, Status.DUE, Status.RESOLVED, Status.DISPUTED)
        for decision in ("confirm", "dispute")
    },
    (Status.PROPOSED, "confirm"): "",
    (Status.PROPOSED, "dispute"): "",
}


def test_the_matrix_covers_every_status_and_decision() -> None:
    assert set(MATRIX) == {(status, decision) for status in Status.values for decision in DECISIONS}


@pytest.mark.parametrize(("status", "decision"), list(MATRIX))
def test_each_decision_from_each_status_is_allowed_or_refused_in_words(status: str, decision: str) -> None:
    assert refusal(decision, status) == MATRIX[status, decision]


@pytest.mark.parametrize(
    ("decision", "status", "kind"),
    [
        ("resolve", Status.OPEN, EventKind.RESOLVED),
        ("resolve", Status.DUE, EventKind.RESOLVED),
        ("resolve", Status.RESOLVED, EventKind.RERESOLVED),
        ("defer", Status.DUE, EventKind.DEFERRED),
        ("reopen", Status.RESOLVED, EventKind.REOPENED),
    ],
)
def test_a_decision_records_its_kind_of_event(decision: str, status: str, kind: str) -> None:
    assert decision_kind(decision, status) == kind


@pytest.mark.parametrize(
    ("outcome", "reason", "refused"),
    [
        (Outcome.HELD_UP, "", ""),
        (
            Outcome.HELD_UP,
            UnresolvableReason.TOO_VAGUE,
            "A reason is only given for an unresolvable outcome.",
        ),
        (Outcome.UNRESOLVABLE, UnresolvableReason.TOO_VAGUE, ""),
        (Outcome.UNRESOLVABLE, "", "Say why it is unresolvable."),
        (Outcome.UNRESOLVABLE, "bored", "Say why it is unresolvable."),
        ("maybe", "", "Unknown outcome 'maybe'."),
    ],
)
def test_an_outcome_and_its_reason_are_checked_in_one_place(outcome: str, reason: str, refused: str) -> None:
    assert outcome_refusal(outcome, reason) == refused


def test_a_deferral_must_end_after_the_day_it_is_decided() -> None:
    today = date(2027, 1, 5)
    assert deferral_refusal(today, today) == "Defer until a date in the future."
    assert deferral_refusal(today - timedelta(days=1), today) == "Defer until a date in the future."
    assert deferral_refusal(today + timedelta(days=1), today) == ""


@pytest.mark.parametrize(("status", "decision"), [k for k, refused in MATRIX.items() if refused])
def test_the_live_decisions_refuse_with_the_tables_words(make_prediction, status: str, decision: str) -> None:
    prediction = make_prediction(
        status=status,
        **({"outcome": Outcome.HELD_UP, "resolved_at": AT} if status == Status.RESOLVED else {}),
    )
    actor = Actor(user=None, name="alice")
    apply = {
        "defer": lambda: defer(prediction, until=date(2099, 1, 1), note="n", actor=actor),
        "reopen": lambda: reopen(prediction, note="n", actor=actor),
        "resolve": lambda: resolve(prediction, outcome=Outcome.HELD_UP, note="n", actor=actor),
        "confirm": lambda: confirm(prediction, note="n", actor=actor),
        "dispute": lambda: dispute(prediction, outcome=Outcome.HELD_UP, note="n", actor=actor),
    }[decision]
    with pytest.raises(DecisionError) as refused:
        apply()
    assert str(refused.value) == MATRIX[status, decision]
