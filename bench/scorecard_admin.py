"""Time the public scorecard and the admin's review queue at 100k-1M predictions, before and
after the tally (issue 11, part B), each beside hand-written SQL doing the same work.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pt_tally_bench \\
        .venv/bin/python bench/scorecard_admin.py --sizes 100000,1000000 --runs 5 [--before DIR]

For each size it makes a throwaway PostgreSQL database per side (DATABASE_URL's name with
`_<size>_<side>`, dropped afterwards), migrates it with that side's code, seeds it with SQL
(`INSERT ... SELECT generate_series`: 200 speakers, 2,000 sources of three speakers each,
10% of predictions said on the panel, 30% resolved with a flag and a decision in their
history, 25% due by 2027-01-01 and still open or waiting, 20% with a probability, "quantum"
in 2% of claims) and times, through Django's test client in one process, the median of
`--runs` interleaved runs of each path. "before" is the code given by --before (a checkout of
main, e.g. `git archive main | tar -x -C DIR`); without it only "after" runs. Prints figures;
asserts nothing; never part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent.parent

SEED_SQL = """
INSERT INTO predictions_speaker (name, slug, bio, url)
SELECT 'Speaker ' || i, 'speaker-' || i, '', '' FROM generate_series(1, 200) AS i;

INSERT INTO predictions_source (title, slug, kind, url, published_on)
SELECT 'Episode ' || i, 'episode-' || i, 'podcast', 'https://example.org/' || i,
       date '2021-01-01' + (i % 1800)
FROM generate_series(1, 2000) AS i;

WITH s AS (SELECT min(id) AS speaker0 FROM predictions_speaker),
     o AS (SELECT min(id) AS source0 FROM predictions_source),
     topics AS (SELECT ARRAY['agents', 'robots', 'chips', 'open models', 'scaling', 'energy', 'biology',
        'coding', 'search', 'video', 'education', 'law', 'finance', 'health', 'defence', 'art', 'music',
        'games', 'science', 'math', 'weather', 'cars', 'drones', 'space', 'farming', 'factories', 'retail',
        'ads', 'privacy', 'safety', 'alignment', 'regulation', 'compute', 'data centres', 'startups',
        'jobs', 'wages', 'translation', 'speech', 'glasses', 'phones', 'browsers', 'email', 'spreadsheets',
        'films', 'books', 'news', 'elections', 'quantum', 'fusion'] AS t),
     p AS (
        SELECT i, (i % 2000) AS src, (i % 20) AS r,
               CASE WHEN i % 10 = 0 THEN NULL ELSE ((i % 2000) * 3 + i % 3) % 200 END AS spk
        FROM generate_series(1, %(size)s) AS i
     )
INSERT INTO predictions_prediction (
    source_id, key, claim, quote, speaker_id, attribution, attribution_note, source_note, excerpt,
    section, source_timestamp, horizon, horizon_as_said, stated_on, due_on, resolution_criteria,
    probability, status, outcome, unresolvable_reason, review_after, flagged_at, resolved_at,
    notified_at, reminded_at, version, created_at, updated_at)
SELECT o.source0 + p.src, 'p' || p.i,
       'Claim ' || p.i || ' about ' || t[1 + p.i % 50] || ' will hold by then.',
       CASE WHEN p.i % 3 = 0 THEN 'They said ' || t[1 + (p.i / 7) % 50] || ' would change.' ELSE '' END,
       s.speaker0 + p.spk, CASE WHEN p.spk IS NULL THEN 'unattributed' ELSE 'named' END, '', '', '',
       'Timeline', NULL,
       (ARRAY['near', 'medium', 'long'])[1 + p.i % 3], 'unstated', date '2020-01-01',
       CASE WHEN p.r < 11 THEN date '2021-01-01' + (p.i % 2190)
            ELSE date '2027-01-02' + (p.i % 7300) END,
       'It visibly happens.',
       CASE WHEN p.i % 5 = 0 THEN ((p.i * 37) % 1001) / 1000.0 END,
       CASE WHEN p.r < 6 THEN 'resolved' WHEN p.r < 7 THEN 'due' ELSE 'open' END,
       CASE WHEN p.r < 6 THEN (ARRAY['held_up', 'partially', 'did_not_hold_up', 'unresolvable'])[1 + p.i % 4]
            ELSE '' END,
       CASE WHEN p.r < 6 AND p.i % 4 = 3 THEN 'too_vague' ELSE '' END,
       CASE WHEN p.r >= 11 AND p.i % 100 = 99 THEN date '2027-06-01' END,
       CASE WHEN p.r < 7 THEN timestamptz '2026-06-01 00:05' END,
       CASE WHEN p.r < 6 THEN timestamptz '2026-06-02 10:00' + p.i * interval '1 second' END,
       NULL, NULL, 1, now(), now()
FROM p, s, o, topics;

INSERT INTO predictions_event (prediction_id, kind, at, actor_id, actor_name, from_status, to_status,
    from_outcome, to_outcome, unresolvable_reason, review_after, note, evidence)
SELECT id, 'flagged', flagged_at, NULL::integer, 'scheduler', 'open', 'due', '', '', '', NULL::date, 'Due.', '[]'::jsonb
FROM predictions_prediction WHERE status IN ('due', 'resolved')
UNION ALL
SELECT id, 'resolved', resolved_at, NULL, 'alice', 'due', 'resolved', '', outcome, unresolvable_reason,
    NULL, 'Decided.', '[]'
FROM predictions_prediction WHERE status = 'resolved';
ANALYZE;
"""

# The scorecard's work as one hand-written pass per question, straight from the predictions.
HAND_SCORECARD = [
    """SELECT speaker_id, horizon, CASE WHEN status = 'resolved' THEN outcome ELSE status END, count(*)
       FROM predictions_prediction GROUP BY 1, 2, 3""",
    """SELECT extract(year FROM due_on), CASE WHEN status = 'resolved' THEN outcome ELSE status END, count(*)
       FROM predictions_prediction GROUP BY 1, 2""",
    """SELECT speaker_id, outcome, least(floor(probability * 5), 4), count(*), sum(probability),
              sum(probability * probability)
       FROM predictions_prediction WHERE probability IS NOT NULL GROUP BY 1, 2, 3""",
    """SELECT id FROM predictions_prediction WHERE status = 'open'
       ORDER BY coalesce(review_after, due_on), id LIMIT 6""",
    """SELECT id FROM predictions_prediction WHERE status = 'resolved' ORDER BY resolved_at DESC, id DESC LIMIT 6""",
]
HAND_QUEUE_ALL = ["SELECT * FROM predictions_prediction ORDER BY due_on, id LIMIT 50"]
HAND_SEARCH = [
    """SELECT * FROM predictions_prediction
       WHERE upper(claim) LIKE '%QUANTUM%' OR upper(quote) LIKE '%QUANTUM%' ORDER BY due_on, id LIMIT 50"""
]


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_url(base: str) -> str:
    return database_url(base, "postgres")


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


# --- the worker: one side, one size, in its own process (Django is set up once per process) --


def worker(project: Path, url: str, size: int, runs: int) -> dict[str, object]:
    sys.path.insert(0, str(project))
    os.chdir(project)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "True"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from predictions import caching

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL.replace("%(size)s", str(size)))
    seeded = time.perf_counter() - started

    client = Client()
    staff = Client()
    staff.force_login(User.objects.create_superuser("bench", "bench@example.org", "bench"))

    def page(client: Client, path: str, *, fresh: bool = False, **headers: str) -> tuple[float, int, int]:
        if fresh:
            cache.clear()
            caching.clear_pages()  # the rendered scorecard pages (caching.py's own cache)
        with CaptureQueriesContext(connection) as captured:
            t = time.perf_counter()
            response = client.get(path, headers=headers)
            elapsed = time.perf_counter() - t
        return elapsed, response.status_code, len(captured)

    def sql(statements: list[str]) -> float:
        t = time.perf_counter()
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
                cursor.fetchall()
        return time.perf_counter() - t

    paths = {
        "scorecard GET / (first view after a write)": lambda: page(client, "/", fresh=True),
        "scorecard GET / (cached)": lambda: page(client, "/"),
        "scorecard GET /?source=episode-7 (first view)": lambda: page(
            client, "/?source=episode-7", fresh=True
        ),
        "trivial page GET /export/schema.json": lambda: page(client, "/export/schema.json"),
        "admin queue ?status=all": lambda: page(staff, "/admin/predictions/prediction/?status=all"),
        "admin queue ?status=due": lambda: page(staff, "/admin/predictions/prediction/"),
        "admin search ?status=all&q=quantum": lambda: page(
            staff, "/admin/predictions/prediction/?status=all&q=quantum"
        ),
        "admin search ?status=all&q=Speaker 17": lambda: page(
            staff, "/admin/predictions/prediction/?status=all&q=Speaker+17"
        ),
    }
    hand = {
        "scorecard GET / (first view after a write)": HAND_SCORECARD,
        "admin queue ?status=all": HAND_QUEUE_ALL,
        "admin search ?status=all&q=quantum": HAND_SEARCH,
    }
    for measure in paths.values():  # warm the buffers, the templates, the session
        measure()
    times: dict[str, list[float]] = {name: [] for name in paths}
    hand_times: dict[str, list[float]] = {name: [] for name in hand}
    statuses: dict[str, int] = {}
    query_counts: dict[str, int] = {}
    for _ in range(runs):  # interleaved: each run takes every path once
        for name, measure in paths.items():
            elapsed, status, queries = measure()
            times[name].append(elapsed)
            statuses[name], query_counts[name] = status, queries
            if name in hand:
                hand_times[name].append(sql(hand[name]))
    etag = client.get("/").get("ETag")
    conditional = [page(client, "/", **{"if-none-match": etag})[0] for _ in range(runs)] if etag else []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM predictions_prediction")
        (predictions,) = cursor.fetchone()
    return {
        "predictions": predictions,
        "seed_seconds": round(seeded, 1),
        "ms": {name: median_ms(samples) for name, samples in times.items()},
        "hand_ms": {name: median_ms(samples) for name, samples in hand_times.items()},
        "status": statuses,
        "queries": query_counts,
        "conditional_304_ms": median_ms(conditional) if conditional else None,
    }


# --- the driver ---------------------------------------------------------------------------


def run_side(side: str, project: Path, base: str, size: int, runs: int) -> dict[str, object]:
    name = f"{urlsplit(base).path.strip('/')}_{size}_{side}"
    admin = admin_url(base)
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    try:
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                str(project),
                database_url(base, name),
                str(size),
                str(runs),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if done.returncode != 0:
            sys.exit(f"The {side} run at {size} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)


def report(size: int, results: dict[str, dict[str, object]]) -> None:
    after = results["after"]
    before = results.get("before")
    print(f"\n{size:,} predictions (seeded in {after['seed_seconds']} s)")
    print(f"{'path':52} {'before ms':>10} {'after ms':>10} {'hand SQL ms':>12} {'queries':>8}")
    for name, ms in after["ms"].items():
        was = before["ms"].get(name, "") if before else ""
        hand = after["hand_ms"].get(name, "")
        print(f"{name:52} {was!s:>10} {ms!s:>10} {hand!s:>12} {after['queries'][name]!s:>8}")
    print(f"{'scorecard GET / with If-None-Match (304)':52} {'':>10} {after['conditional_304_ms']!s:>10}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        project, url, size, runs = sys.argv[2:6]
        print(json.dumps(worker(Path(project), url, int(size), int(runs))))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "100000"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="A checkout of the code to compare with (main).")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (its name prefixes the throwaway ones).")
    for size in (int(s) for s in args.sizes.split(",")):
        results = {}
        if args.before:
            results["before"] = run_side("before", args.before, base, size, args.runs)
        results["after"] = run_side("after", HERE, base, size, args.runs)
        report(size, results)


if __name__ == "__main__":
    main()
