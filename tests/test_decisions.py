"""decisions.py without HTTP: what each refusal says, the bulk rule, and a change of who
said it. Each refusal writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from predictions.actors import SCHEDULER
from predictions.decisions import (
    Actor,
    DecisionError,
    defer,
    describe_change,
    record_attribution,
    reopen,
    resolve,
    resolve_many,
)
from predictions.models import Attribution, Event, EventKind, Outcome, Status, UnresolvableReason

pytestmark = pytest.mark.django_db
ALICE = Actor(user=None, name="alice")
AT = datetime(2027, 1, 5, 9, 30, tzinfo=UTC)


@pytest.fixture
def due(make_prediction):
    return make_prediction(status=Status.DUE)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: resolve(p, outcome="maybe", note="x", actor=ALICE), "Unknown outcome 'maybe'."),
        (
            lambda p: resolve(p, outcome=Outcome.HELD_UP, note="  ", actor=ALICE),
            "A note saying why is required.",
        ),
        (
            lambda p: resolve(p, outcome=Outcome.UNRESOLVABLE, note="x", actor=ALICE),
            "Say why it is unresolvable.",
        ),
        (
            lambda p: resolve(p, outcome=Outcome.HELD_UP, reason="too_vague", note="x", actor=ALICE),
            "A reason is only given for an unresolvable outcome.",
        ),
        (
            lambda p: defer(p, until=date(2099, 1, 1), note=" ", actor=ALICE),
            "A reason for deferring is required.",
        ),
        (
            lambda p: defer(p, until=date(2000, 1, 1), note="x", actor=ALICE),
            "Defer until a date in the future.",
        ),
        (lambda p: reopen(p, note="x", actor=ALICE), "Only a resolved prediction can be reopened."),
    ],
)
def test_each_refusal_says_why_and_writes_nothing(due, call, message) -> None:
    with pytest.raises(DecisionError) as refused:
        call(due)
    assert str(refused.value) == message
    assert not Event.objects.exists()
    due.refresh_from_db()
    assert (due.status, due.version) == (Status.DUE, 1)


def test_a_resolved_prediction_is_reopened_not_deferred(due) -> None:
    resolve(due, outcome=Outcome.HELD_UP, note="Yes.", actor=ALICE)
    with pytest.raises(DecisionError, match="^A resolved prediction is reopened, not deferred.$"):
        defer(due, until=date(2099, 1, 1), note="Later.", actor=ALICE)
    with pytest.raises(DecisionError, match="^A note saying why is required.$"):
        reopen(due, note="", actor=ALICE)


def test_resolve_many_records_an_unresolvable_outcome_with_its_reason_for_each(make_prediction) -> None:
    first, second = make_prediction(status=Status.DUE), make_prediction(status=Status.DUE)
    count = resolve_many(
        [first, second],
        selected={first.pk, second.pk},
        seen_versions={first.pk: "1", second.pk: "1"},
        outcome=Outcome.UNRESOLVABLE,
        reason=UnresolvableReason.TOO_VAGUE,
        note="Nothing to measure.",
        evidence=["https://example.org/a"],
        actor=ALICE,
    )
    assert count == 2
    events = list(Event.objects.order_by("id"))
    assert [(e.prediction_id, e.to_outcome, e.unresolvable_reason, e.evidence) for e in events] == [
        (first.pk, Outcome.UNRESOLVABLE, UnresolvableReason.TOO_VAGUE, ["https://example.org/a"]),
        (second.pk, Outcome.UNRESOLVABLE, UnresolvableReason.TOO_VAGUE, ["https://example.org/a"]),
    ]


def test_resolve_many_applies_none_when_a_selected_prediction_left_the_list(make_prediction) -> None:
    listed, gone = make_prediction(status=Status.DUE), make_prediction(status=Status.DUE)
    resolve(gone, outcome=Outcome.HELD_UP, note="Decided elsewhere.", actor=SCHEDULER, at=AT)
    with pytest.raises(DecisionError, match="changed by someone else after you opened it"):
        resolve_many(
            [listed],
            selected={listed.pk, gone.pk},
            seen_versions={listed.pk: "1"},
            outcome=Outcome.HELD_UP,
            note="Yes.",
            actor=ALICE,
        )
    listed.refresh_from_db()
    assert listed.status == Status.DUE
    assert Event.objects.count() == 1


def test_resolve_many_applies_none_when_one_version_is_stale(make_prediction) -> None:
    fresh, stale = make_prediction(status=Status.DUE), make_prediction(status=Status.DUE)
    with pytest.raises(DecisionError, match="changed by someone else"):
        resolve_many(
            [fresh, stale],
            selected={fresh.pk, stale.pk},
            seen_versions={fresh.pk: "1", stale.pk: "0"},
            outcome=Outcome.HELD_UP,
            note="Yes.",
            actor=ALICE,
        )
    assert not Event.objects.exists()


def test_resolve_many_refuses_an_incomplete_confirmation(make_prediction) -> None:
    p = make_prediction(status=Status.DUE)
    with pytest.raises(DecisionError, match="the confirmation page is incomplete; start again"):
        resolve_many(
            [p], selected={p.pk}, seen_versions={}, outcome=Outcome.HELD_UP, note="Yes.", actor=ALICE
        )
    assert not Event.objects.exists()


def test_a_stale_decision_names_the_latest_history_row(due) -> None:
    resolve(due, outcome=Outcome.PARTIALLY, note="Half.", actor=ALICE, at=AT)
    message = describe_change(due.pk)
    assert "(Resolved by alice at 2027-01-05 09:30, outcome Partially held up)" in message
    assert message.endswith("Nothing was saved: reload the page to see the change, then decide again.")


def test_a_change_of_speaker_is_a_history_row_that_keeps_the_review_state(due, speaker) -> None:
    before = (due.speaker_label, due.attribution)
    due.speaker, due.attribution = speaker, Attribution.INFERRED
    due.save()
    event = record_attribution(due, before=before, actor=ALICE, note="Heard at 55:35.", at=AT)
    assert event is not None
    assert (event.kind, event.from_status, event.to_status, event.actor_name, event.at) == (
        EventKind.ATTRIBUTED,
        Status.DUE,
        Status.DUE,
        "alice",
        AT,
    )
    assert event.note == (
        "Speaker: Unattributed (panel) → Ada Lovelace; attribution: unattributed → inferred. Heard at 55:35."
    )
    assert record_attribution(due, before=(due.speaker_label, due.attribution), actor=ALICE) is None
    assert Event.objects.count() == 1
