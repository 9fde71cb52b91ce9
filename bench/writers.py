"""Decisions per second with 1 and with 8 concurrent writers (issue 17), the tally written
during the transaction (migration 0008's triggers: every writer holds the one data-version
row from its first write to its commit) against the tally written at COMMIT (0015).

    DATABASE_URL=postgres://user@host:5432/name python -m bench.writers

Both designs in one run, on throwaway databases beside DATABASE_URL's (`<name>_writers_old`,
`<name>_writers_new`): each migrated, the old one taken back to 0014 (0015 run backwards,
which puts 0008's trigger bodies back), and seeded with SQL (bench/seed.py, BENCH_WRITERS_SIZE
predictions, 40,000 by default). Each writer is a thread with its own connection recording
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
DESIGNS = {"old (0008: tally and version in the transaction)": "0014", "new (0015: at commit)": None}


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


def decisions_per_second(writers: int, due: list[int], per_writer: int) -> tuple[float, int]:
    """Decisions/s of `writers` threads, each on `per_writer` predictions taken off `due`;
    and how many writers failed."""
    chunks = [[due.pop() for _ in range(per_writer)] for _ in range(writers)]
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_decide, args=(chunk, errors)) for chunk in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    return writers * per_writer / seconds, len(errors)


def measure(server: object, size: int, per_writer: int, runs: int) -> list[tuple[str, int, float, int]]:
    from django.core.management import call_command
    from django.db import connection

    from bench.run import use_database
    from bench.seed import seed
    from predictions.models import Prediction, Status

    figures = []
    for design, back_to in DESIGNS.items():
        name = f"{server.base}_writers_{'old' if back_to else 'new'}"
        try:
            server.create(name)
            use_database(name)
            call_command("migrate", verbosity=0, interactive=False)
            if back_to:
                call_command("migrate", "predictions", back_to, verbosity=0, interactive=False)
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
                rates, failed = [], 0
                for _ in range(runs):
                    rate, errors = decisions_per_second(writers, due, per_writer)
                    rates.append(rate)
                    failed += errors
                figures.append((design, writers, statistics.median(rates), failed))
        finally:
            use_database("postgres")
            server.drop(name)
    return figures


def print_figures(figures: list[tuple[str, int, float, int]]) -> None:
    print("decisions/s, single decisions by concurrent writers (median of the runs):")
    print(f"  {'design':<52} {'writers':>7} {'decisions/s':>12} {'failed':>7}")
    for design, writers, rate, failed in figures:
        print(f"  {design:<52} {writers:>7} {rate:>12,.0f} {failed:>7}")


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
