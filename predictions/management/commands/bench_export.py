"""`make bench`: time the export's streaming path and, on PostgreSQL, PostgreSQL's own COPY.

Seeds a throwaway database (never the configured one: `<name>_bench` on PostgreSQL, a
temporary file on SQLite), exports it, prints rows/s and peak memory, and drops it. Figures
are printed, never asserted: a timed test would fail on a busy machine, not on slow code.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from predictions.exporting import CHUNK_SIZE, ExportFilters, event_rows, stream_export
from predictions.models import (
    Attribution,
    Event,
    EventKind,
    Horizon,
    Outcome,
    Prediction,
    Source,
    Speaker,
    Status,
)

EVENTS_PER_PREDICTION = 4  # flagged, resolved, reopened, resolved again
START = datetime(2027, 1, 1, tzinfo=UTC)

# The same rows as the export, in the same order, as PostgreSQL's COPY writes them: the
# floor for any export path that goes through the same tables.
COPY_SQL = """
COPY (
    SELECT 1, p.id, so.slug, p.key, p.claim, sp.slug, sp.name, p.horizon, p.horizon_as_said,
           p.stated_on, p.due_on, p.probability, e.kind, e.at, e.actor_name, e.from_status,
           e.to_status, e.from_outcome, e.to_outcome, e.unresolvable_reason, e.review_after,
           e.note, e.evidence, p.quote, p.section, p.source_timestamp, p.resolution_criteria,
           so.title, so.kind, so.url, so.published_on
    FROM predictions_event e
    JOIN predictions_prediction p ON p.id = e.prediction_id
    JOIN predictions_source so ON so.id = p.source_id
    LEFT JOIN predictions_speaker sp ON sp.id = p.speaker_id
    ORDER BY e.at, e.id
) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def rss_peak_reset() -> bool:
    """Reset the kernel's peak-RSS mark (Linux), so VmHWM measures only what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_peak_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class Command(BaseCommand):
    help = "Benchmark the resolution-history export on a throwaway database (BENCH_EVENTS rows)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--events",
            type=int,
            default=int(os.environ.get("BENCH_EVENTS", "200000")),
            help="history rows to seed (default: $BENCH_EVENTS or 200000; 1000000 for the full run)",
        )

    def handle(self, *args: object, events: int, **options: object) -> None:
        # DEBUG keeps every query's SQL in memory: the seeding's bulk INSERTs would swamp
        # the memory figures.
        settings.DEBUG = False
        creation = connection.creation
        original_name = connection.settings_dict["NAME"]
        tmp = None
        if connection.vendor == "sqlite":
            tmp = tempfile.TemporaryDirectory(prefix="bench-export-")
            connection.settings_dict.setdefault("TEST", {})["NAME"] = str(Path(tmp.name) / "bench.sqlite3")
        else:
            connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{original_name}_bench"
        name = creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            self.stdout.write(f"{connection.vendor} database {name}: seeding {events:,} history rows...")
            started = time.perf_counter()
            predictions = seed(events)
            with connection.cursor() as cursor:
                # Fresh statistics, as autovacuum would have by then: the plans measured are
                # the ones a real database of this size gets.
                cursor.execute("ANALYZE")
            self.stdout.write(
                f"seeded {events:,} events on {predictions:,} predictions in {time.perf_counter() - started:.1f}s"
            )
            self.measure(events)
        finally:
            creation.destroy_test_db(original_name, verbosity=0)
            if tmp is not None:
                tmp.cleanup()

    def measure(self, events: int) -> None:
        out = self.stdout.write
        out(f"\n{'path':<44} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'MB':>8}")
        for label, fn in (
            ("database rows only (event_rows, no text)", count_tuples),
            ("stream_export csv (ORM, iterator)", lambda: export_through("csv")),
            ("stream_export jsonl (ORM, iterator)", lambda: export_through("jsonl")),
        ):
            rows, size, seconds = timed(fn)
            out(f"{label:<44} {rows:>10,} {seconds:>8.2f} {rows / seconds:>10,.0f} {size / 1e6:>8.1f}")
        if connection.vendor == "postgresql":
            rows, size, seconds = timed(copy_baseline)
            out(
                f"{'PostgreSQL COPY ... TO STDOUT (csv)':<44} {rows:>10,} {seconds:>8.2f} {rows / seconds:>10,.0f} {size / 1e6:>8.1f}"
            )

        # Memory: Python's own allocations (tracemalloc) while streaming the whole export,
        # against the same after a tenth of it: flat means the two are about the same.
        out("\npeak memory while streaming the csv export:")
        tenth = max(1, events // 10 // CHUNK_SIZE)
        for label, limit in ((f"first {tenth * CHUNK_SIZE:,} rows", tenth), (f"all {events:,} rows", None)):
            tracemalloc.start()
            export_through("csv", limit)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out(f"  {label:<24} Python allocations peak {peak / 1e6:6.1f} MB")
        if rss_peak_reset():
            export_through("csv")
            out(f"  process peak RSS during one more full export: {rss_peak_mb():.0f} MB")
        else:
            import resource

            peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            out(f"  process peak RSS (whole run, seeding included): {peak_kb / 1024:.0f} MB")


def timed(fn: Callable[[], tuple[int, int]]) -> tuple[int, int, float]:
    started = time.perf_counter()
    rows, size = fn()
    return rows, size, time.perf_counter() - started


def export_through(fmt: str, chunks: int | None = None) -> tuple[int, int]:
    """Consume stream_export() as a client would (the first `chunks` chunks, or all of it);
    (rows, characters). Rows are counted by the stream itself, not by line breaks."""
    rows = size = 0

    def count(n: int) -> None:
        nonlocal rows
        rows += n

    for chunk in islice(stream_export(fmt, ExportFilters(), on_rows=count), chunks):
        size += len(chunk)
    return rows, size


def count_tuples() -> tuple[int, int]:
    rows = 0
    for _ in event_rows(ExportFilters()):
        rows += 1
    return rows, 0


def copy_baseline() -> tuple[int, int]:
    rows = size = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(COPY_SQL) as copy:
        for data in copy:
            size += len(data)
            rows += bytes(data).count(b"\n")  # the seeded text has no line breaks inside cells
    return rows - 1, size  # less the header


def seed(events: int) -> int:
    """`events` history rows on events / 4 predictions, a fifth of them unattributed."""
    source = Source.objects.create(title="Bench source", slug="bench", published_on=date(2026, 1, 31))
    speakers = Speaker.objects.bulk_create(
        Speaker(name=f"Speaker {i}", slug=f"speaker-{i}") for i in range(20)
    )
    count = max(1, events // EVENTS_PER_PREDICTION)
    horizons = [Horizon.NEAR, Horizon.MEDIUM, Horizon.LONG]
    outcomes = [Outcome.HELD_UP, Outcome.PARTIALLY, Outcome.DID_NOT_HOLD_UP]
    batch = 5000
    for start in range(0, count, batch):
        made = Prediction.objects.bulk_create(
            Prediction(
                source=source,
                key=f"p{n}",
                claim=f"Prediction number {n} about the state of AI will hold up by its due date.",
                speaker=None if n % 5 == 0 else speakers[n % len(speakers)],
                attribution=Attribution.UNATTRIBUTED if n % 5 == 0 else Attribution.NAMED,
                horizon=horizons[n % 3],
                horizon_as_said="this year",
                stated_on=date(2026, 1, 31),
                due_on=date(2026, 12, 31),
                resolution_criteria="It visibly happens.",
                status=Status.RESOLVED,
                outcome=outcomes[n % 3],
            )
            for n in range(start, min(count, start + batch))
        )
        Event.objects.bulk_create(_events_for(made, start), batch_size=5000)
    return count


def _events_for(predictions: list[Prediction], offset: int) -> Iterator[Event]:
    outcomes = [Outcome.HELD_UP, Outcome.PARTIALLY, Outcome.DID_NOT_HOLD_UP]
    for i, p in enumerate(predictions):
        n = offset + i
        t = START + timedelta(seconds=n)
        outcome = outcomes[n % 3]
        common = {"prediction_id": p.pk, "actor_name": "alice"}
        yield Event(
            kind=EventKind.FLAGGED,
            at=t,
            actor_name="scheduler",
            prediction_id=p.pk,
            from_status=Status.OPEN,
            to_status=Status.DUE,
        )
        yield Event(
            kind=EventKind.RESOLVED,
            at=t + timedelta(days=30),
            from_status=Status.DUE,
            to_status=Status.RESOLVED,
            to_outcome=Outcome.HELD_UP,
            note="=It happened, see the link.",
            evidence=["https://example.org/evidence"],
            **common,
        )
        yield Event(
            kind=EventKind.REOPENED,
            at=t + timedelta(days=60),
            from_status=Status.RESOLVED,
            to_status=Status.DUE,
            from_outcome=Outcome.HELD_UP,
            note="Evidence withdrawn.",
            **common,
        )
        yield Event(
            kind=EventKind.RESOLVED,
            at=t + timedelta(days=90),
            from_status=Status.DUE,
            to_status=Status.RESOLVED,
            to_outcome=outcome,
            note="Decided again.",
            **common,
        )
