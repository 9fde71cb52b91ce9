"""Writes never deadlock or 500 (issue 17), raced for real on PostgreSQL: writers on
separate connections in live threads — a bulk decision against single decisions, a history
import against the flag job, two imports at once — all land, the tally recounts exact, the
history holds every decision once, and the data version moves with every commit. No writer
holds the tally's or the version's rows while it works (migration 0015): they are written
as it commits.

PostgreSQL only: SQLite serialises writers on its database lock, so there is nothing to race.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count

from predictions.actors import Actor
from predictions.decisions import resolve, resolve_many
from predictions.export_stream import stream_export
from predictions.exporting import ExportFilters
from predictions.models import Event, EventKind, Outcome, Prediction, Status
from predictions.models.tally import data_version
from predictions.recount import differences
from predictions.tasks import flag_due
from tests.conftest import SEED, requires_postgres
from tests.support import empty_the_database

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

ALICE = Actor(user=None, name="alice")
DUE = date(2026, 6, 30)
RESOLVED_AT = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)


class Writers:
    """Live threads, each on its own connection; every exception they raise is kept."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.versions: list[tuple[str, str]] = []  # (before the write, after its commit)

    def add(self, work: Callable[[], object], start: threading.Barrier | None = None) -> None:
        def run() -> None:
            try:
                if start is not None:
                    start.wait(timeout=10)
                before = data_version()[0]
                work()
                self.versions.append((before, data_version()[0]))
            except BaseException as error:  # noqa: BLE001 - asserted empty below
                self.errors.append(error)
            finally:
                connection.close()

        self.threads.append(threading.Thread(target=run))

    def run(self) -> None:
        for t in self.threads:
            t.start()
        for t in self.threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in self.threads), "a writer never finished"


def assert_exact_and_moved(writers: Writers) -> None:
    assert writers.errors == []
    assert differences() == []
    # Each writer saw the version change across its own commit.
    assert writers.versions and all(before != after for before, after in writers.versions)


def each_once(kind: str) -> list[int]:
    counts = Event.objects.filter(kind=kind).values("prediction").annotate(n=Count("id"))
    return sorted(c["n"] for c in counts)


# --- no shared row is held while a writer works --------------------------------------------


def test_a_writer_holds_neither_the_version_nor_a_tally_row_until_it_commits(make_prediction) -> None:
    """The old design's hot row: a writer held the version row from its first write to its
    commit, so every other writer queued behind it. Now another connection can take both
    while the writer's transaction is open."""
    p = make_prediction(status=Status.DUE, due_on=DUE)
    before = data_version()[0]
    written, done = threading.Event(), threading.Event()
    writers = Writers()

    def decide_and_wait() -> None:
        with transaction.atomic():
            resolve(p, outcome=Outcome.HELD_UP, note="Yes.", actor=ALICE)
            written.set()
            assert done.wait(timeout=20)

    writers.add(decide_and_wait)
    thread = writers.threads[0]
    thread.start()
    assert written.wait(timeout=20)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT token FROM predictions_dataversion WHERE id = 1 FOR UPDATE NOWAIT")
            cursor.execute("SELECT id FROM predictions_tally FOR UPDATE NOWAIT")
            assert cursor.fetchall()  # the buckets the writer changes among them
        assert data_version()[0] == before  # nothing shows before the commit
    finally:
        done.set()
        thread.join(timeout=20)
    assert writers.errors == []
    assert data_version()[0] != before
    assert differences() == []


def test_the_version_changes_when_a_transaction_commits_after_a_later_one_did(make_prediction) -> None:
    """Commits out of order: the one that started first commits last, and the version still
    changes when it does (a key a reader saw in between is not left standing)."""
    first, second = (make_prediction(status=Status.DUE, due_on=DUE) for _ in range(2))
    v0 = data_version()[0]
    written, finish = threading.Event(), threading.Event()
    writers = Writers()

    def early_starter() -> None:
        with transaction.atomic():
            resolve(first, outcome=Outcome.HELD_UP, note="First.", actor=ALICE)
            written.set()
            assert finish.wait(timeout=20)

    writers.add(early_starter)
    writers.threads[0].start()
    assert written.wait(timeout=20)
    late = threading.Thread(target=lambda: _resolve_and_close(second))
    late.start()
    late.join(timeout=20)
    assert not late.is_alive(), "the later transaction waited for the earlier one"
    v1 = data_version()[0]
    finish.set()
    writers.threads[0].join(timeout=20)
    v2 = data_version()[0]
    assert writers.errors == []
    assert len({v0, v1, v2}) == 3
    assert differences() == []


def _resolve_and_close(p: Prediction) -> None:
    try:
        resolve(p, outcome=Outcome.DID_NOT_HOLD_UP, note="Second.", actor=ALICE)
    finally:
        connection.close()


# --- races ------------------------------------------------------------------------------------


def test_a_bulk_decision_racing_single_decisions_never_errors(make_prediction) -> None:
    bulk = [make_prediction(status=Status.DUE, due_on=DUE) for _ in range(60)]
    singles = [make_prediction(status=Status.DUE, due_on=DUE) for _ in range(30)]
    start = threading.Barrier(4)
    writers = Writers()
    for chunk in (bulk[0::2], bulk[1::2]):
        writers.add(
            lambda c=chunk: resolve_many(
                c[::-1],
                selected=[p.pk for p in c],
                seen_versions={p.pk: str(p.version) for p in c},
                outcome=Outcome.DID_NOT_HOLD_UP,
                note="Bulk.",
                actor=ALICE,
            ),
            start,
        )
    for chunk in (singles[0::2], singles[1::2]):
        writers.add(
            lambda c=chunk: [resolve(p, outcome=Outcome.HELD_UP, note="One.", actor=ALICE) for p in c], start
        )
    writers.run()
    assert_exact_and_moved(writers)
    assert each_once(EventKind.RESOLVED) == [1] * 90
    assert Prediction.objects.filter(status=Status.RESOLVED).count() == 90


def _export(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_text("".join(stream_export("jsonl", ExportFilters())), encoding="utf-8")
    return path


def _history_resolved_elsewhere(make_prediction, tmp_path: Path, n: int) -> tuple[Path, Path]:
    """(the predictions alone, the same with the first half resolved on 1 August): a
    database holding the first, and a file from another that went on deciding."""
    made = [make_prediction(status=Status.OPEN, due_on=DUE) for _ in range(n)]
    base = _export(tmp_path, "base.jsonl")
    for p in made[: n // 2]:
        resolve(p, outcome=Outcome.HELD_UP, note="Elsewhere.", actor=ALICE, at=RESOLVED_AT)
    elsewhere = _export(tmp_path, "elsewhere.jsonl")
    empty_the_database()
    call_command("import_predictions", str(base), stdout=StringIO())
    return base, elsewhere


def test_a_history_import_racing_the_flag_job_never_errors(make_prediction, tmp_path: Path) -> None:
    _, elsewhere = _history_resolved_elsewhere(make_prediction, tmp_path, 80)
    start = threading.Barrier(3)
    writers = Writers()
    writers.add(lambda: call_command("import_predictions", str(elsewhere), stdout=StringIO()), start)
    with time_machine.travel(datetime(2026, 9, 1, 6, 0, tzinfo=UTC), tick=True):
        for _ in range(2):
            writers.add(lambda: flag_due(date(2026, 9, 1)), start)
        writers.run()
    assert_exact_and_moved(writers)
    assert each_once(EventKind.RESOLVED) == [1] * 40
    assert each_once(EventKind.FLAGGED) == [1] * len(each_once(EventKind.FLAGGED))
    # The resolved half stays resolved whether the job flagged it first or not; the rest is due.
    assert dict(Prediction.objects.values_list("status").annotate(n=Count("id"))) == {
        Status.RESOLVED: 40,
        Status.DUE: 40,
    }


def test_two_history_imports_at_once_never_error_and_write_each_event_once(
    make_prediction, tmp_path: Path
) -> None:
    _, elsewhere = _history_resolved_elsewhere(make_prediction, tmp_path, 60)
    start = threading.Barrier(2)
    writers = Writers()
    for _ in range(2):
        writers.add(lambda: call_command("import_predictions", str(elsewhere), stdout=StringIO()), start)
    writers.run()
    assert_exact_and_moved(writers)
    assert each_once(EventKind.RESOLVED) == [1] * 30


def test_two_imports_creating_the_same_predictions_at_once_never_error() -> None:
    """Both create the same speakers, sources and predictions: the second meets the first's
    rows on the unique indexes, is run again, and then finds them."""
    start = threading.Barrier(2)
    writers = Writers()
    for _ in range(2):
        writers.add(lambda: call_command("import_predictions", str(SEED), stdout=StringIO()), start)
    writers.run()
    assert_exact_and_moved(writers)
    assert Prediction.objects.count() > 0
    assert Prediction.objects.values("source", "key").distinct().count() == Prediction.objects.count()
