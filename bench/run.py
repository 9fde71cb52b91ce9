"""`make bench`: the slow paths of issue 11 at BENCH_SIZES predictions, each beside the
hand-written SQL doing the same work on the same database, in one table.

    DATABASE_URL=postgres://user@host:5432/name make bench              # 10,000 and 100,000
    BENCH_SIZES=1000000 BENCH_RUNS=3 DATABASE_URL=... make bench       # the full run

For each size it makes a throwaway database `<name>_bench_<size>` on DATABASE_URL's server
(never the configured one), migrates it, seeds it with SQL (bench/seed.py) and measures:

- flag all due rows: `flag_due()` against one hand-written UPDATE ... RETURNING feeding an
  INSERT ... SELECT; every run on a fresh copy of the seeded database (`..._run`);
- CSV export: `stream_export("csv")` against plain COPY of the same rows, unformatted; and
  the ORM path (SQLite's) against the same COPY;
- the scorecard GET (after a write, and cached), a trivial page, the admin queue and its
  search: the views through Django's test Client (no server, no test database), beside the
  hand-written SQL of bench/scorecard_admin.py;
- issue 23's rows (bench/paths.py): the JSONL export through COPY and through the ORM path
  (before) beside json_build_object by hand; the site-wide calendar after a write and cached,
  the largest speaker's calendar, beside their rows by hand; the speaker page and the API at
  a deep cursor beside their SQL by hand and beside their own first page;
- the peak memory of one request to each public URL (bench/public_memory.py).

BENCH_ONLY=export measures only the four export rows (nothing after the table), and
BENCH_ONLY=export-copy only the two through COPY (the ORM paths take most of a million's time);
BENCH_REUSE=1 keeps each seeded `<name>_bench_<size>` and measures it again on the next
run instead of seeding anew (a million rows take minutes), if its row count is the size's
(bench/throughput.py copies it then too); drop it by hand when done.

Each figure is the median of BENCH_RUNS (default 5) runs, ours and the hand-written one
taking turns. Statements are counted as Django executes them, COPY included. It prints
figures and asserts none: it is not part of `make test`, and a busy machine is not a bug.
`make bench` then runs bench/throughput.py: requests/s through gunicorn under wrk. After
the table: decisions/s with 1 and 8 concurrent writers, old triggers against new
(bench/writers.py).
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/run.py` as well as `python -m bench.run`
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
import psycopg  # noqa: E402


@dataclass
class Timing:
    seconds: list[float]
    rows: int
    statements: int


@dataclass
class Row:
    path: str
    size: int
    ours: Timing | None
    hand: Timing | None
    note: str = ""
    unit: str = "rows"


class Statements:
    """Counts what Django sends (an execute wrapper) and psycopg COPYs (a wrapped method)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
        self.count += 1
        return execute(sql, params, many, context)

    @contextmanager
    def counting(self) -> Iterator[Statements]:
        from django.db import connection

        real_copy = psycopg.Cursor.copy

        def copy(cursor: psycopg.Cursor, *args: object, **kwargs: object) -> object:
            self.count += 1
            return real_copy(cursor, *args, **kwargs)

        psycopg.Cursor.copy = copy  # type: ignore[method-assign]
        try:
            with connection.execute_wrapper(self):
                yield self
        finally:
            psycopg.Cursor.copy = real_copy  # type: ignore[method-assign]


def timed(work: Callable[[], int]) -> tuple[float, int, int]:
    counter = Statements()
    with counter.counting():
        started = time.perf_counter()
        rows = work()
        seconds = time.perf_counter() - started
    return seconds, rows, counter.count


class Server:
    """The PostgreSQL server of DATABASE_URL: makes, copies and drops the bench databases."""

    def __init__(self, settings_dict: dict) -> None:
        self.params = {
            "host": settings_dict.get("HOST") or None,
            "port": settings_dict.get("PORT") or None,
            "user": settings_dict.get("USER") or None,
            "password": settings_dict.get("PASSWORD") or None,
        }
        self.base = settings_dict["NAME"]

    def execute(self, sql: str) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **self.params) as conn:
            conn.execute(sql)

    def create(self, name: str, template: str | None = None) -> None:
        self.drop(name)
        # FILE_COPY: a copy of a seeded million rows takes seconds, not a WAL's worth.
        copy = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        self.execute(f"CREATE DATABASE {name}{copy}")

    def drop(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def use_database(name: str) -> None:
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = name


def kept(server: Server, name: str, size: int) -> bool:
    """BENCH_REUSE=1 and `name` is a seeded database of `size` predictions: migrated to this
    code's migrations and used as it is."""
    from django.core.management import call_command
    from django.db import connection

    if os.environ.get("BENCH_REUSE") != "1":
        return False
    use_database("postgres")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            return False
    use_database(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM predictions_prediction")
        (count,) = cursor.fetchone()
    if count != size:
        return False
    call_command("migrate", verbosity=0, interactive=False)
    return True


def prepare(server: Server, name: str, size: int) -> float:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from bench.seed import seed

    if kept(server, name, size):
        print(f"  reusing {name} (BENCH_REUSE=1)", file=sys.stderr, flush=True)
        return 0.0
    use_database("postgres")
    server.create(name)
    use_database(name)
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        seed(cursor, size)
        # Fresh statistics and visibility map, as autovacuum would have by then: the plans
        # measured are the ones a real database of this size gets.
        cursor.execute("VACUUM ANALYZE")
    seconds = time.perf_counter() - started
    User.objects.create_superuser("bench", "bench@example.org", "bench-password")
    return seconds


def median_pair(
    runs: int, ours: Callable[[], int], hand: Callable[[], int] | None
) -> tuple[Timing, Timing | None]:
    """Both, in turns (A B B A A B ...), so a machine slowing down weighs on both alike."""
    ours_t = Timing([], 0, 0)
    hand_t = Timing([], 0, 0) if hand else None
    for run in range(runs):
        order = [("ours", ours), ("hand", hand)] if run % 2 == 0 else [("hand", hand), ("ours", ours)]
        for who, work in order:
            if work is None:
                continue
            seconds, rows, statements = timed(work)
            target = ours_t if who == "ours" else hand_t
            assert target is not None
            target.seconds.append(seconds)
            target.rows, target.statements = rows, statements
    return ours_t, hand_t


def read_only_rows(size: int, runs: int, only: str = "") -> list[Row]:
    from bench import paths

    rows = []
    for label, ours, hand, unit in paths.READ_ONLY:
        if only and label not in paths.EXPORT_LABELS[: 2 if only == "export-copy" else None]:
            continue
        try:
            ours(), hand() if hand else None  # warm-up: caches and imports, not counted
            ours_t, hand_t = median_pair(runs, ours, hand)
            rows.append(Row(label, size, ours_t, hand_t, unit=unit))
        except Exception as e:  # a path someone is reshaping must not stop the others
            rows.append(Row(label, size, None, None, note=f"failed: {e!r}"[:80]))
    return rows


def flag_rows(server: Server, template: str, size: int, runs: int) -> list[Row]:
    from bench import paths

    run_db = f"{template}_run"
    results: dict[str, Timing] = {"ours": Timing([], 0, 0), "hand": Timing([], 0, 0)}
    use_database("postgres")  # nobody may be connected to a database being copied
    for run in range(runs):
        for who in ("ours", "hand") if run % 2 == 0 else ("hand", "ours"):
            server.create(run_db, template=template)
            use_database(run_db)
            seconds, flagged, statements = timed(paths.flag_ours if who == "ours" else paths.flag_hand)
            use_database("postgres")
            results[who].seconds.append(seconds)
            results[who].rows, results[who].statements = flagged, statements
    server.drop(run_db)
    note = "" if results["ours"].rows == results["hand"].rows else "row counts differ!"
    return [Row("flag all due rows", size, results["ours"], results["hand"], note)]


def export_memory() -> float:
    """Python's peak allocations (MB) while streaming the whole CSV export once."""
    from bench import paths

    tracemalloc.start()
    paths.export_ours()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def seconds_text(timing: Timing | None) -> str:
    return f"{statistics.median(timing.seconds):.3f}" if timing and timing.seconds else "n/a"


def print_table(rows: list[Row]) -> None:
    header = f"{'path':<34} {'predictions':>11} {'rows':>9} {'ours s':>8} {'SQL s':>8} {'ratio':>6} {'statements':>11}"
    print("\n" + header)
    print("-" * len(header))
    for row in rows:
        ratio = "n/a"
        if row.ours and row.hand and row.ours.seconds and row.hand.seconds:
            ratio = f"{statistics.median(row.ours.seconds) / statistics.median(row.hand.seconds):.1f}x"
        statements = (
            f"{row.ours.statements}/{row.hand.statements if row.hand else '-'}" if row.ours else "n/a"
        )
        rows_done = "n/a"
        if row.ours:
            rows_done = f"{row.ours.rows:,}" if row.unit == "rows" else f"{row.ours.rows / 1000:,.0f} KB"
        print(
            f"{row.path:<34} {row.size:>11,} {rows_done:>9} {seconds_text(row.ours):>8} "
            f"{seconds_text(row.hand):>8} {ratio:>6} {statements:>11}" + (f"  {row.note}" if row.note else "")
        )
    print(
        "times: medians in seconds; statements: ours/hand-written SQL, a COPY counted as one;"
        " rows: rows flagged or exported, or the page's size; in a row 'A / B' the SQL column"
        " is B through the same stack (page 1 of the same view, the trivial page), so the ratio"
        " is A over B"
    )


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "make bench seeds PostgreSQL with SQL: set DATABASE_URL=postgres://user@host:5432/name "
            "(it makes and drops <name>_bench_* databases beside that one).",
            file=sys.stderr,
        )
        return 2
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000").split(",") if s.strip()]
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    only = os.environ.get("BENCH_ONLY", "")
    if only not in ("", "export", "export-copy"):
        print(f"BENCH_ONLY={only!r}: 'export' or 'export-copy'", file=sys.stderr)
        return 2
    reuse = os.environ.get("BENCH_REUSE") == "1"
    django.setup()
    from django.conf import settings

    from bench import public_memory

    settings.DEBUG = False  # DEBUG keeps every statement's SQL in memory
    settings.API_ANON_RATE = "1000000/min"  # the bench's own requests are one client's
    logging.getLogger("axes").setLevel(logging.WARNING)  # the bench's own logins, once per size
    server = Server(dict(settings.DATABASES["default"]))
    rows: list[Row] = []
    memory: list[str] = []
    public: list[str] = []
    for size in sizes:
        template = f"{server.base}_bench_{size}"
        try:
            print(f"seeding {size:,} predictions into {template}...", file=sys.stderr, flush=True)
            seeded = prepare(server, template, size)
            print(f"  seeded in {seeded:.1f}s; measuring", file=sys.stderr, flush=True)
            rows += read_only_rows(size, runs, only)
            if only:
                continue
            memory.append(f"{size:,} predictions: {export_memory():.1f} MB")
            public += public_memory.lines(size)
            rows += flag_rows(server, template, size, runs)
        finally:
            use_database("postgres")
            if not reuse:
                server.drop(template)
    print_table(rows)
    if only:
        return 0
    print("peak Python allocations during one CSV export (flat = memory does not grow with rows):")
    for line in memory:
        print(f"  {line}")
    print("\npeak Python allocations of one public request (bench/public_memory.py; flat = bounded):")
    print(f"{'url':<30} {'predictions':>11} {'peak':>11} {'served':>13}")
    for line in public:
        print(line)
    from bench import writers

    writers.run(server)
    from bench import ingest

    ingest.main()  # no database: ingest's episodes and bad-input figures
    return 0


if __name__ == "__main__":
    sys.exit(main())
