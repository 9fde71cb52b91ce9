"""flag_due(as_of): open predictions are flagged once they come due, exactly once, with
one history row each, however many runs or workers race."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from predictions.decisions import Actor, defer, resolve
from predictions.models import Event, EventKind, Horizon, Outcome, Prediction, Status
from predictions.tasks import _why, flag_due, flag_one
from tests.conftest import requires_postgres
from tests.support import wait_for_lock_waiters

pytestmark = pytest.mark.django_db

DUE = date(2026, 12, 31)
MakePrediction = Callable[..., Prediction]


def statuses() -> dict[str, str]:
    return dict(Prediction.objects.values_list("key", "status"))


def flag_events(prediction: Prediction) -> list[Event]:
    return list(Event.objects.filter(prediction=prediction, kind=EventKind.FLAGGED))


def test_nothing_is_flagged_before_the_due_date(make_prediction: MakePrediction) -> None:
    p = make_prediction(due_on=DUE)
    assert flag_due(date(2026, 12, 30)) == 0
    p.refresh_from_db()
    assert p.status == Status.OPEN
    assert p.flagged_at is None
    assert not Event.objects.exists()


@pytest.mark.parametrize("as_of", [DUE, date(2027, 1, 1)])
def test_it_flags_on_and_after_the_due_date(make_prediction: MakePrediction, as_of: date) -> None:
    p = make_prediction(due_on=DUE)
    assert flag_due(as_of) == 1
    p.refresh_from_db()
    assert p.status == Status.DUE


def test_it_flags_exactly_the_open_predictions_that_are_due(make_prediction: MakePrediction) -> None:
    make_prediction(key="due-today", due_on=date(2027, 1, 1))
    make_prediction(key="overdue", due_on=date(2026, 6, 30))
    make_prediction(key="due-tomorrow", due_on=date(2027, 1, 2))
    make_prediction(key="already-due", due_on=date(2026, 12, 31), status=Status.DUE)
    make_prediction(key="deferred", due_on=date(2026, 12, 31), review_after=date(2027, 2, 1))
    make_prediction(key="back-from-deferral", due_on=date(2026, 12, 31), review_after=date(2027, 1, 1))
    make_prediction(
        key="resolved-early", due_on=date(2026, 12, 31), status=Status.RESOLVED, outcome=Outcome.HELD_UP
    )

    assert flag_due(date(2027, 1, 1)) == 3

    assert statuses() == {
        "due-today": Status.DUE,
        "overdue": Status.DUE,
        "back-from-deferral": Status.DUE,
        "due-tomorrow": Status.OPEN,
        "already-due": Status.DUE,
        "deferred": Status.OPEN,
        "resolved-early": Status.RESOLVED,
    }
    flagged = set(Event.objects.filter(kind=EventKind.FLAGGED).values_list("prediction__key", flat=True))
    assert flagged == {"due-today", "overdue", "back-from-deferral"}


def test_a_missed_week_catches_up(make_prediction: MakePrediction) -> None:
    # The scheduler last ran on 2026-12-24 and was down until 2027-01-07.
    for day in (25, 28, 31):
        make_prediction(key=f"dec-{day}", due_on=date(2026, 12, day))
    make_prediction(key="jan-7", due_on=date(2027, 1, 7))
    make_prediction(key="jan-8", due_on=date(2027, 1, 8))
    assert flag_due(date(2026, 12, 24)) == 0

    assert flag_due(date(2027, 1, 7)) == 4

    assert [k for k, s in sorted(statuses().items()) if s == Status.DUE] == [
        "dec-25",
        "dec-28",
        "dec-31",
        "jan-7",
    ]


def test_a_flag_changes_the_prediction_and_writes_one_history_row_together(
    make_prediction: MakePrediction, time_machine
) -> None:
    time_machine.move_to(datetime(2027, 1, 1, 0, 5, 3, tzinfo=UTC), tick=False)
    p = make_prediction(due_on=DUE)
    assert p.version == 1

    assert flag_due(date(2027, 1, 1)) == 1

    p.refresh_from_db()
    assert p.status == Status.DUE
    assert p.flagged_at == timezone.now()
    assert p.updated_at == timezone.now()
    assert p.version == 2  # the admin refuses a decision made on the page loaded before
    [event] = flag_events(p)
    assert event.at == p.flagged_at
    assert event.actor is None
    assert event.actor_name == "scheduler"
    assert (event.from_status, event.to_status) == (Status.OPEN, Status.DUE)
    assert event.note == "Due on 2026-12-31; flagged by the run as of 2027-01-01."


def test_a_second_run_flags_nothing_and_writes_no_second_history_row(make_prediction: MakePrediction) -> None:
    predictions = [make_prediction(due_on=DUE) for _ in range(3)]
    assert flag_due(date(2027, 1, 1)) == 3
    assert flag_due(date(2027, 1, 1)) == 0
    assert flag_due(date(2027, 1, 2)) == 0
    for p in predictions:
        p.refresh_from_db()
        assert p.version == 2
        assert len(flag_events(p)) == 1


def test_resolved_predictions_stay_as_they_are(make_prediction: MakePrediction, reviewer) -> None:
    p = make_prediction(due_on=DUE)
    resolve(p, outcome=Outcome.DID_NOT_HOLD_UP, note="It did not happen.", actor=Actor.of(reviewer))
    before = Prediction.objects.values().get(pk=p.pk)
    history = list(Event.objects.filter(prediction=p).values())

    assert flag_due(date(2027, 1, 1)) == 0

    assert Prediction.objects.values().get(pk=p.pk) == before
    assert list(Event.objects.filter(prediction=p).values()) == history


def test_a_deferred_prediction_comes_back_when_its_review_date_arrives(
    make_prediction: MakePrediction, reviewer, time_machine
) -> None:
    time_machine.move_to(datetime(2027, 1, 1, 9, tzinfo=UTC), tick=False)
    p = make_prediction(due_on=DUE)
    assert flag_due(date(2027, 1, 1)) == 1
    p.refresh_from_db()
    defer(p, until=date(2027, 3, 1), note="The benchmark reports in February.", actor=Actor.of(reviewer))

    assert flag_due(date(2027, 2, 28)) == 0
    assert flag_due(date(2027, 3, 1)) == 1

    p.refresh_from_db()
    assert p.status == Status.DUE
    kinds = list(Event.objects.filter(prediction=p).values_list("kind", "to_status"))
    assert kinds == [
        (EventKind.FLAGGED, Status.DUE),
        (EventKind.DEFERRED, Status.OPEN),
        (EventKind.FLAGGED, Status.DUE),
    ]
    assert flag_events(p)[-1].note == "Back from deferral: review after 2027-03-01 (due on 2026-12-31)."


@pytest.fixture
def refuse_history_for() -> Callable[[int], None]:
    """Make the database refuse the history row of one prediction: a real failure inside
    the flag's transaction, as a broken row or a dying connection would cause. The test's
    transaction rolls the trigger back with everything else."""

    def refuse(pk: int) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "CREATE FUNCTION test_refuse_flag() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN IF NEW.prediction_id = {int(pk)} THEN RAISE EXCEPTION 'refused by the test'; "
                    "END IF; RETURN NEW; END $$"
                )
                cursor.execute(
                    "CREATE TRIGGER test_refuse_flag BEFORE INSERT ON predictions_event "
                    "FOR EACH ROW EXECUTE FUNCTION test_refuse_flag()"
                )
            else:
                cursor.execute(
                    "CREATE TRIGGER test_refuse_flag BEFORE INSERT ON predictions_event "
                    f"WHEN NEW.prediction_id = {int(pk)} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )

    return refuse


def drop_refusal() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER test_refuse_flag ON predictions_event")
            cursor.execute("DROP FUNCTION test_refuse_flag()")
        else:
            cursor.execute("DROP TRIGGER test_refuse_flag")


def test_a_bad_row_is_logged_and_skipped_and_the_rest_are_flagged(
    make_prediction: MakePrediction, refuse_history_for, caplog
) -> None:
    first, bad, last = (make_prediction(key=k, due_on=DUE) for k in ("first", "bad", "last"))
    refuse_history_for(bad.pk)

    with caplog.at_level(logging.ERROR, logger="predictions.tasks"):
        assert flag_due(date(2027, 1, 1)) == 2

    assert statuses() == {"first": Status.DUE, "bad": Status.OPEN, "last": Status.DUE}
    [record] = caplog.records
    assert record.getMessage() == (
        f"Could not flag prediction {bad.pk} as due for review; skipped until the next run."
    )
    assert "refused by the test" in record.exc_text
    # Nothing half done: the failed history row took the status change down with it.
    bad.refresh_from_db()
    assert (bad.version, bad.flagged_at) == (1, None)
    assert not Event.objects.filter(prediction=bad).exists()

    drop_refusal()
    assert flag_due(date(2027, 1, 2)) == 1
    counts = dict(
        Prediction.objects.annotate(n=Count("events")).values_list("key", "n")
    )  # one history row each, the retried one included
    assert counts == {"first": 1, "bad": 1, "last": 1}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_flag_each_prediction_once(make_prediction: MakePrediction) -> None:
    predictions = [make_prediction(due_on=DUE) for _ in range(60)]
    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            results.append(flag_due(date(2027, 1, 1)))
        except BaseException as e:  # surfaced by the assertion below
            errors.append(e)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert sum(results) == 60
    counts = Event.objects.filter(kind=EventKind.FLAGGED).values("prediction").annotate(n=Count("id"))
    assert sorted(c["n"] for c in counts) == [1] * 60
    assert set(Prediction.objects.values_list("status", "version")) == {(Status.DUE, 2)}
    assert len(predictions) == 60


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_waiting_on_another_workers_claim_does_not_flag_it_again(
    make_prediction: MakePrediction,
) -> None:
    p = make_prediction(due_on=DUE)
    claimed, release = threading.Event(), threading.Event()
    holder_result: list[int] = []
    racer_result: list[int] = []

    def holder() -> None:
        # Worker A has claimed the row and not yet committed.
        try:
            with transaction.atomic():
                holder_result.append(flag_one(p.pk, date(2027, 1, 1), at=timezone.now()))
                claimed.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def racer() -> None:
        try:
            racer_result.append(flag_due(date(2027, 1, 1)))
        finally:
            connection.close()

    a = threading.Thread(target=holder)
    a.start()
    assert claimed.wait(timeout=10)
    b = threading.Thread(target=racer)
    b.start()
    try:
        # Worker B selected the row while it was still open and now waits on A's row lock.
        assert wait_for_lock_waiters(1), "the second run never waited on the first one's claim"
    finally:
        release.set()
        a.join(timeout=30)
        b.join(timeout=30)

    assert holder_result == [1]
    assert racer_result == [0]
    assert len(flag_events(p)) == 1


def test_on_the_seed_data_it_flags_the_near_term_predictions_and_no_other(seeded, capsys) -> None:
    near = set(Prediction.objects.filter(horizon=Horizon.NEAR).values_list("pk", flat=True))
    assert len(near) == 14

    call_command("flag_due_predictions", "--as-of", "2027-01-01")

    assert capsys.readouterr().out == "Flagged 14 predictions as due for review (as of 2027-01-01).\n"
    assert set(Prediction.objects.due_for_review().values_list("pk", flat=True)) == near
    assert not Prediction.objects.exclude(horizon=Horizon.NEAR).exclude(status=Status.OPEN).exists()
    assert Event.objects.filter(kind=EventKind.FLAGGED).count() == 14

    call_command("flag_due_predictions", "--as-of", "2027-01-01")
    assert capsys.readouterr().out == "Flagged 0 predictions as due for review (as of 2027-01-01).\n"


def test_the_command_flags_as_of_today_by_default(
    make_prediction: MakePrediction, time_machine, capsys
) -> None:
    make_prediction(due_on=DUE)
    time_machine.move_to(datetime(2026, 12, 31, 23, 59, tzinfo=UTC), tick=False)
    call_command("flag_due_predictions")
    assert capsys.readouterr().out == "Flagged 1 prediction as due for review (as of 2026-12-31).\n"


@pytest.mark.parametrize("bad", ["2027-13-01", "tomorrow", "01/01/2027", ""])
def test_an_as_of_that_is_not_a_date_is_a_clear_error(make_prediction: MakePrediction, bad: str) -> None:
    make_prediction(due_on=DUE)
    with pytest.raises(CommandError) as error:
        call_command("flag_due_predictions", "--as-of", bad)
    assert str(error.value) == f"--as-of must be a date written YYYY-MM-DD, such as 2027-01-01; got {bad!r}."
    assert not Prediction.objects.due_for_review().exists()


def test_the_flag_says_back_from_deferral_only_for_a_review_date_after_the_due_date() -> None:
    due = date(2026, 12, 31)
    assert _why(due, None, date(2027, 1, 2)) == "Due on 2026-12-31; flagged by the run as of 2027-01-02."
    assert _why(due, due, date(2027, 1, 2)) == "Due on 2026-12-31; flagged by the run as of 2027-01-02."
    assert _why(due, date(2027, 1, 1), date(2027, 1, 2)) == (
        "Back from deferral: review after 2027-01-01 (due on 2026-12-31)."
    )
