"""Decisions per second with 1 and with 8 concurrent writers (issue 17), the tally and the
data version written at COMMIT (migration 0015's triggers).

    DATABASE_URL=postgres://user@host:5432/name python -m bench.writers

On a throwaway database beside DATABASE_URL's (`<name>_writers`), migrated and seeded with
SQL (bench/seed.py, BENCH_WRITERS_SIZE predictions, 40,000 by default). The design before
0015 (the tally written during the transaction) was measured beside it when 0015 landed, by
taking a copy back to 0014 (docs/decisions.md has the figures); today's code no longer runs on
that schema (0016 added the decisions' `known_on`), so a copy taken back can only fail, and
is not measured. Each writer is a thread with its own connection recording
single decisions (`decisions.resolve`, the admin's path: lock, conditional UPDATE, history
row) on its own unresolved predictions, BENCH_WRITER_DECISIONS each (default 300); the figure is
all decisions over the wall time, the median of BENCH_RUNS runs (default 3). `make bench`
runs it after bench/run.py's table. It prints figures and asserts none.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

WRITERS = (1, 8)
DESIGN = "at commit (0015)"


def _decide(pks: list[int], errors: list[BaseException]) -> None:
    from django.db import connection

    from predictions.actors import Actor
    from predictions.decisions import resolve
    from predictions.models import Outcome, Prediction

    actor = Actor(user=None, name="bench")
    try:
        for prediction in Prediction.objects.filter(pk__in=pks).order_by("pk"):
            resolve(prediction, outcome=Outcome.HELD_UP, note="Bench.", actor=actor)
    except BaseException as error:  # noqa: BLE001 - counted and printed
        errors.append(error)
    finally:
        connection.close()


def decisions_per_second(writers: int, due: list[int], per_writer: int) -> tuple[float, list[BaseException]]:
    """Decisions/s of `writers` threads, each on `per_writer` predictions taken off `due`;
    and the errors of the writers that failed."""
    chunks = [[due.pop() for _ in range(per_writer)] for _ in range(writers)]
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_decide, args=(chunk, errors)) for chunk in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    return writers * per_writer / seconds, errors


def measure(
    server: object, size: int, per_writer: int, runs: int
) -> list[tuple[str, int, float | None, int]]:
    from django.core.management import call_command
    from django.db import connection

    from bench.run import use_database
    from bench.seed import seed
    from predictions.models import Prediction, Status

    figures = []
    name = f"{server.base}_writers"
    try:
        server.create(name)
        use_database(name)
        call_command("migrate", verbosity=0, interactive=False)
        with connection.cursor() as cursor:
            seed(cursor, size)
            cursor.execute("VACUUM ANALYZE")
        due = list(
            Prediction.objects.exclude(status=Status.RESOLVED).order_by("?").values_list("pk", flat=True)
        )
        connection.close()
        needed = runs * sum(WRITERS) * per_writer
        if len(due) < needed:
            raise SystemExit(f"{len(due)} due predictions, {needed} needed: raise BENCH_WRITERS_SIZE")
        for writers in WRITERS:
            rates, failed = [], []
            for _ in range(runs):
                rate, errors = decisions_per_second(writers, due, per_writer)
                rates.append(rate)
                failed += errors
            if failed:
                # A rate of writers that failed part-way is not a rate: say so, and why.
                print(f"  {writers} writers: {len(failed)} failed, first: {failed[0]!r}", file=sys.stderr)
            figures.append((DESIGN, writers, statistics.median(rates) if not failed else None, len(failed)))
    finally:
        use_database("postgres")
        server.drop(name)
    return figures


def print_figures(figures: list[tuple[str, int, float | None, int]]) -> None:
    print("decisions/s, single decisions by concurrent writers (median of the runs; n/a: a writer failed):")
    print(f"  {'design':<20} {'writers':>7} {'decisions/s':>12} {'failed':>7}")
    for design, writers, rate, failed in figures:
        shown = f"{rate:,.0f}" if rate is not None else "n/a"
        print(f"  {design:<20} {writers:>7} {shown:>12} {failed:>7}")


def run(server: object) -> None:
    size = int(os.environ.get("BENCH_WRITERS_SIZE", "40000"))
    per_writer = int(os.environ.get("BENCH_WRITER_DECISIONS", "300"))
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    print(f"writers: {size:,} predictions, {per_writer} decisions per writer...", file=sys.stderr, flush=True)
    print_figures(measure(server, size, per_writer, runs))


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench/writers.py needs DATABASE_URL=postgres://user@host:5432/name", file=sys.stderr)
        return 2
    django.setup()
    from django.conf import settings

    from bench.run import Server

    settings.DEBUG = False
    run(Server(dict(settings.DATABASES["default"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
