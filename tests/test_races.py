"""A write that loses a race (deadlock detected, serialization failure, lock timeout) is run
again whole, and after the last attempt is a "try again" refusal, never a 500: simulated
here, raced for real on PostgreSQL below."""

from __future__ import annotations

import threading
from datetime import date
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, close_old_connections, connection

from predictions import races
from predictions.actors import Actor
from predictions.decisions import DecisionError, resolve, resolve_many
from predictions.models import Event, EventKind, Outcome, Prediction, Status
from predictions.recount import differences
from tests.conftest import SEED, requires_postgres

ALICE = Actor(user=None, name="alice")


class Deadlock(Exception):
    sqlstate = "40P01"


def lost(times: int):
    """A stand-in for the database cancelling the first `times` attempts."""
    calls = {"n": 0}
    real = Event.save

    def save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= times:
            raise OperationalError("deadlock detected") from Deadlock()
        return real(self, *args, **kwargs)

    return mock.patch.object(Event, "save", save), calls


@pytest.mark.django_db(transaction=True)
def test_a_decision_that_lost_a_race_is_recorded_on_the_next_attempt(make_prediction) -> None:
    prediction = make_prediction(status=Status.DUE)
    before = prediction.version
    patch, calls = lost(times=2)
    with patch, mock.patch.object(races.time, "sleep"):
        resolve(prediction, outcome=Outcome.HELD_UP, note="Yes.", actor=ALICE)
    assert calls["n"] == 3
    assert list(Event.objects.values_list("kind", flat=True)) == [EventKind.RESOLVED]
    assert (prediction.status, prediction.version) == (Status.RESOLVED, before + 1)


@pytest.mark.django_db(transaction=True)
def test_a_decision_that_loses_every_race_is_a_try_again_refusal_and_writes_nothing(make_prediction) -> None:
    prediction = make_prediction(status=Status.DUE)
    before = prediction.version
    patch, calls = lost(times=races.ATTEMPTS)
    with patch, mock.patch.object(races.time, "sleep"), pytest.raises(DecisionError, match="try again"):
        resolve(prediction, outcome=Outcome.HELD_UP, note="Yes.", actor=ALICE)
    assert calls["n"] == races.ATTEMPTS
    assert Event.objects.count() == 0
    prediction.refresh_from_db()
    assert (prediction.status, prediction.version) == (Status.DUE, before)


@pytest.mark.django_db(transaction=True)
def test_a_bulk_decision_that_lost_a_race_is_run_again_whole(make_prediction) -> None:
    due = [make_prediction(status=Status.DUE) for _ in range(3)]
    before = due[0].version
    patch, calls = lost(times=1)  # the first row of the first attempt
    with patch, mock.patch.object(races.time, "sleep"):
        done = resolve_many(
            due[::-1],
            selected=[p.pk for p in due],
            seen_versions={p.pk: str(p.version) for p in due},
            outcome=Outcome.HELD_UP,
            note="All three.",
            actor=ALICE,
        )
    assert done == 3 and calls["n"] == 4
    assert Event.objects.filter(kind=EventKind.RESOLVED).count() == 3
    assert set(Prediction.objects.values_list("status", "version")) == {(Status.RESOLVED, before + 1)}


def test_other_database_errors_are_not_retried(db) -> None:
    attempts = []

    def broken() -> None:
        attempts.append(1)
        raise OperationalError("disk full")

    with pytest.raises(OperationalError, match="disk full"):
        races.retried(broken)
    assert len(attempts) == 1


@pytest.mark.django_db(transaction=True)
def test_an_import_that_loses_every_race_says_try_again(tmp_path: Path) -> None:
    with (
        mock.patch("predictions.management.commands.import_predictions.import_path") as import_path,
        mock.patch.object(races.time, "sleep"),
        pytest.raises(CommandError, match="nothing was recorded; try again"),
    ):
        import_path.side_effect = OperationalError("deadlock detected").with_traceback(None)
        import_path.side_effect.__cause__ = Deadlock()
        call_command("import_predictions", str(SEED), stdout=StringIO())
    assert import_path.call_count == races.ATTEMPTS


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_bulk_decisions_racing_single_decisions_all_land_and_the_tally_recounts_exact(
    make_prediction,
) -> None:
    """The reported race: a bulk outcome over many predictions while reviewers decide others
    one by one, every one touching the same tally and version rows."""
    bulk = [make_prediction(status=Status.DUE, due_on=date(2026, 6, 30)) for _ in range(40)]
    singles = [make_prediction(status=Status.DUE, due_on=date(2026, 6, 30)) for _ in range(40)]
    errors: list[BaseException] = []
    start = bulk[0].version

    def run(work) -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    def bulk_decision(chunk) -> None:
        resolve_many(
            chunk,
            selected=[p.pk for p in chunk],
            seen_versions={p.pk: str(p.version) for p in chunk},
            outcome=Outcome.DID_NOT_HOLD_UP,
            note="Bulk.",
            actor=ALICE,
        )

    def one_by_one(chunk) -> None:
        for p in chunk:
            resolve(p, outcome=Outcome.HELD_UP, note="One.", actor=ALICE)

    threads = [threading.Thread(target=run, args=(lambda c=bulk[i::2]: bulk_decision(c),)) for i in range(2)]
    threads += [threading.Thread(target=run, args=(lambda c=singles[i::2]: one_by_one(c),)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Event.objects.filter(kind=EventKind.RESOLVED).count() == 80
    assert Prediction.objects.filter(status=Status.RESOLVED, version=start + 1).count() == 80
    assert differences() == []
