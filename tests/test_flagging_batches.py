"""flag_due(as_of) by batches: a backlog is claimed a batch per transaction, each prediction
still flagged exactly once under concurrent runs, killed runs and failing rows (issue 11)."""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext

from predictions import tasks
from predictions.models import Event, EventKind, Prediction, Status
from predictions.tasks import flag_batch, flag_due
from tests.conftest import requires_postgres
from tests.support import wait_for_lock_waiters

pytestmark = pytest.mark.django_db

DUE = date(2026, 12, 31)
AS_OF = date(2027, 1, 1)
MakePrediction = Callable[..., Prediction]


@pytest.fixture
def batch_of_three(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(tasks, "FLAG_BATCH_SIZE", 3)
    return 3


def flags_per_prediction() -> dict[int, int]:
    return dict(
        Prediction.objects.annotate(n=Count("events", filter=Q(events__kind=EventKind.FLAGGED))).values_list(
            "pk", "n"
        )
    )


def test_flag_due_keeps_its_signature() -> None:
    # The schedule, the command and the tests all call flag_due(as_of) and read an int back.
    signature = inspect.signature(flag_due)
    assert list(signature.parameters) == ["as_of"]
    assert signature.return_annotation in (int, "int")


def test_a_backlog_larger_than_a_batch_is_flagged_whole_with_one_history_row_each(
    make_prediction: MakePrediction, batch_of_three: int
) -> None:
    due = [make_prediction(due_on=DUE) for _ in range(10)]
    later = make_prediction(due_on=date(2027, 1, 2))

    assert flag_due(AS_OF) == 10

    assert set(Prediction.objects.due_for_review().values_list("pk", flat=True)) == {p.pk for p in due}
    assert flags_per_prediction() == {**{p.pk: 1 for p in due}, later.pk: 0}
    assert set(Prediction.objects.filter(pk__in=[p.pk for p in due]).values_list("version", flat=True)) == {2}
    assert flag_due(AS_OF) == 0


def test_each_row_of_a_batch_gets_its_own_note(make_prediction: MakePrediction) -> None:
    due = make_prediction(due_on=date(2026, 11, 30))
    back = make_prediction(due_on=DUE, review_after=AS_OF)

    assert flag_due(AS_OF) == 2

    notes = dict(Event.objects.values_list("prediction_id", "note"))
    assert notes == {
        due.pk: "Due on 2026-11-30; flagged by the run as of 2027-01-01.",
        back.pk: "Back from deferral: review after 2027-01-01 (due on 2026-12-31).",
    }


def test_the_number_of_statements_grows_with_the_batches_not_the_rows(
    make_prediction: MakePrediction, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "FLAG_BATCH_SIZE", 50)

    def statements(rows: int, as_of: date) -> int:
        for _ in range(rows):
            make_prediction(due_on=as_of)
        with CaptureQueriesContext(connection) as ctx:
            assert flag_due(as_of) == rows
        return len(ctx.captured_queries)

    few, many = statements(2, date(2027, 1, 1)), statements(40, date(2027, 1, 2))
    assert many == few


class Killed(BaseException):
    """What a worker's death looks like from inside: nothing catches it on the way out."""


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_after_its_first_batch_is_finished_by_the_next_run_once(
    make_prediction: MakePrediction, batch_of_three: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    predictions = [make_prediction(due_on=DUE) for _ in range(8)]
    real_batch = tasks.flag_batch
    calls: list[int] = []

    def dies_on_the_second_batch(*args: object, **kwargs: object) -> set[int]:
        calls.append(1)
        if len(calls) == 2:
            raise Killed()
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(tasks, "flag_batch", dies_on_the_second_batch)
    with pytest.raises(Killed):
        flag_due(AS_OF)
    # The first batch was committed before the worker died; nothing of the second was.
    assert Prediction.objects.due_for_review().count() == 3
    assert Event.objects.count() == 3
    # The three history rows are those three predictions' flags.
    due = set(Prediction.objects.due_for_review().values_list("pk", flat=True))
    assert set(Event.objects.values_list("prediction_id", "kind")) == {(pk, EventKind.FLAGGED) for pk in due}

    monkeypatch.setattr(tasks, "flag_batch", real_batch)
    assert flag_due(AS_OF) == 5

    assert flags_per_prediction() == {p.pk: 1 for p in predictions}
    assert set(Prediction.objects.values_list("status", "version")) == {(Status.DUE, 2)}


def test_a_failing_row_holds_up_only_its_own_batch(
    make_prediction: MakePrediction, batch_of_three: int, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    # The fifth (in the second batch) is the one whose history row cannot be written: its
    # note, built per row, refuses its due date.
    refused_on = date(2026, 12, 30)
    predictions = [make_prediction(due_on=refused_on if i == 4 else DUE) for i in range(9)]
    bad = predictions[4]
    real_why, real_one = tasks._why, tasks.flag_one
    retried: list[int] = []

    def refuses_the_bad_one(due_on: date, review_after: date | None, as_of: date) -> str:
        if due_on == refused_on:
            raise ValueError("refused by the test")
        return real_why(due_on, review_after, as_of)

    def spy(pk: int, *args: object, **kwargs: object) -> int:
        retried.append(pk)
        return real_one(pk, *args, **kwargs)

    monkeypatch.setattr(tasks, "_why", refuses_the_bad_one)
    monkeypatch.setattr(tasks, "flag_one", spy)
    with caplog.at_level(logging.WARNING, logger="predictions.tasks"):
        assert flag_due(AS_OF) == 8

    # Only the failed batch went row by row; the first and third were flagged whole.
    # (The bad one's note fails before its flag_one is called.)
    assert retried == [p.pk for p in predictions[3:6] if p != bad]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            "Could not flag a batch of 3 predictions (ValueError('refused by the test')); "
            "retrying them one by one.",
        ),
        ("ERROR", f"Could not flag prediction {bad.pk} as due for review; skipped until the next run."),
    ]
    bad.refresh_from_db()
    assert (bad.status, bad.version, bad.flagged_at) == (Status.OPEN, 1, None)
    assert flags_per_prediction() == {p.pk: int(p != bad) for p in predictions}

    monkeypatch.setattr(tasks, "_why", real_why)
    assert flag_due(date(2027, 1, 2)) == 1
    assert flags_per_prediction() == {p.pk: 1 for p in predictions}


def test_a_batch_skips_rows_that_are_no_longer_flaggable(make_prediction: MakePrediction) -> None:
    fresh = make_prediction(due_on=DUE)
    already = make_prediction(due_on=DUE, status=Status.DUE)
    not_yet = make_prediction(due_on=date(2027, 6, 1))

    assert flag_batch([fresh.pk, already.pk, not_yet.pk], AS_OF, at=fresh.created_at) == {fresh.pk}
    assert flags_per_prediction() == {fresh.pk: 1, already.pk: 0, not_yet.pk: 0}


def run_in_threads(count: int, target: Callable[[], int]) -> Iterator[int | BaseException]:
    """Run `target` in `count` threads started together, each on its own connection."""
    start = threading.Barrier(count)
    results: list[int | BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            results.append(target())
        except BaseException as e:  # returned to the test, which asserts on it
            results.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return iter(results)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batch_runs_flag_each_prediction_exactly_once(
    make_prediction: MakePrediction, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "FLAG_BATCH_SIZE", 7)
    predictions = [make_prediction(due_on=DUE) for _ in range(300)]

    results = list(run_in_threads(4, lambda: flag_due(AS_OF)))

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 300
    assert flags_per_prediction() == {p.pk: 1 for p in predictions}
    assert set(Prediction.objects.values_list("status", "version")) == {(Status.DUE, 2)}


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("holder_flags", [False, True], ids=["holder-rolls-back", "holder-flags"])
def test_a_run_passes_over_rows_another_holds_flags_the_rest_then_comes_back_for_them(
    make_prediction: MakePrediction, batch_of_three: int, holder_flags: bool
) -> None:
    predictions = [make_prediction(due_on=DUE) for _ in range(9)]
    held = [p.pk for p in predictions[:3]]
    locked, release = threading.Event(), threading.Event()
    racer_result: list[int] = []

    def holder() -> None:
        # Another run has locked the first batch and not yet committed.
        try:
            with transaction.atomic():
                list(Prediction.objects.filter(pk__in=held).select_for_update())
                locked.set()
                release.wait(timeout=30)
                if holder_flags:
                    flag_batch(held, AS_OF, at=predictions[0].created_at)
                else:
                    transaction.set_rollback(True)  # as a run that failed or died
        finally:
            connection.close()

    def racer() -> None:
        try:
            racer_result.append(flag_due(AS_OF))
        finally:
            connection.close()

    a = threading.Thread(target=holder)
    a.start()
    assert locked.wait(timeout=10)
    b = threading.Thread(target=racer)
    b.start()
    try:
        assert wait_for_lock_waiters(1), "the run never came back for the rows it passed over"
        # By the time it waits, it has flagged (and committed) everything it could take.
        assert set(Prediction.objects.due_for_review().values_list("pk", flat=True)) == {
            p.pk for p in predictions[3:]
        }
    finally:
        release.set()
        a.join(timeout=30)
        b.join(timeout=30)

    assert racer_result == [6 if holder_flags else 9]
    assert flags_per_prediction() == {p.pk: 1 for p in predictions}
