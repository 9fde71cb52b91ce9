"""The record and the topic pages at size (issue 22): queries and time of one request to
/predictions/ (plain, filtered, searched, a deep cursor) and to a topic's page (cold: its
scorecard counted from the predictions; warm: read from the cache under the data version),
through Django's whole stack (test Client, no server). Prints, never asserts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/record.py

Seeds <NAME>_record_<size> (bench/seed.py, BENCH_SIZES, default 100000), whose 12
topics put every prediction in topic `id % 12`, every third also in the next one, so a topic
holds about 1/12 + 1/36 of the predictions; the database is dropped afterwards.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def measure(client: object, url: str, runs: int, *, cold: bool = False) -> tuple[int, float, int]:
    """(queries, median milliseconds, status) of `runs` GETs of `url`."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, counts, status = [], [], 0
    for _ in range(runs):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        counts.append(len(queries))
        status = response.status_code
    return max(counts), statistics.median(times), status


def deep_cursor() -> str:
    from predictions import keyset
    from predictions.models import Prediction

    key = Prediction.objects.order_by("-due_on", "-id").values_list("due_on", "id")[100]
    return keyset.encode(tuple(key))


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench/record.py needs DATABASE_URL=postgres://user@host:5432/name", file=sys.stderr)
        return 2
    django.setup()
    from django.conf import settings
    from django.test import Client

    from bench.run import Server, prepare, use_database

    settings.DEBUG = False
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "100000").split(",") if s.strip()]
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    server = Server(dict(settings.DATABASES["default"]))
    print(f"{'page':<46} {'predictions':>11} {'queries':>8} {'median ms':>10} {'status':>6}")
    for size in sizes:
        name = f"{server.base}_record_{size}"
        try:
            print(f"seeding {size:,} predictions into {name}...", file=sys.stderr, flush=True)
            prepare(server, name, size)  # with the seed's topics (bench/seed.py)
            client = Client(HTTP_HOST="127.0.0.1")
            pages = [
                ("/predictions/", "/predictions/", False),
                ("?topic= &status=resolved", "/predictions/?topic=topic-3&status=resolved", False),
                ("?q=quantum (2% of claims)", "/predictions/?q=quantum", False),
                ("?q=quantum&topic=", "/predictions/?q=quantum&topic=topic-3", False),
                ("?speaker=&horizon=&due range", "/predictions/?speaker=speaker-7&horizon=near"
                 "&due_from=2027-01-01&due_to=2030-12-31", False),
                ("deep cursor (?after= 100 from the end)", f"/predictions/?after={deep_cursor()}", False),
                ("/topics/topic-3/ cold (cache emptied)", "/topics/topic-3/", True),
                ("/topics/topic-3/ warm (cached scorecard)", "/topics/topic-3/", False),
                ("/topics/", "/topics/", False),
                ("/sources/source-7/", "/sources/source-7/", True),
            ]  # fmt: skip
            for label, address, cold in pages:
                queries, ms, status = measure(client, address, runs, cold=cold)
                print(f"{label:<46} {size:>11,} {queries:>8} {ms:>10.1f} {status:>6}", flush=True)
        finally:
            use_database("postgres")
            server.drop(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
