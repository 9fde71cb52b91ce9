"""`make bench`, last table: requests/s of the scorecard (`GET /`) and of a trivial page under a
bounded load on loopback, the target of issue 11 being the scorecard at least half of the
trivial page's requests/s at a million predictions.

    DATABASE_URL=postgres://user@host:5432/name .venv/bin/python -m bench.throughput
    BENCH_SIZES=1000000 DATABASE_URL=... .venv/bin/python -m bench.throughput

The load comes from wrk (Debian's package: `apt-get install wrk`); without it the table says
so and nothing is measured. For each size in BENCH_SIZES it seeds a throwaway database
`<name>_rps_<size>` beside DATABASE_URL's with SQL (bench/seed.py, as bench/run.py does),
collects the static files into a temporary folder and starts gunicorn on 127.0.0.1 as
production does (config/gunicorn.py: gthread, WEB_WORKERS x WEB_THREADS, DEBUG=False, the
access log written, to /dev/null here); wrk sends the reverse proxy's X-Forwarded-Proto, so
the HTTPS redirect stays on. The trivial page is `/export/schema.json`: no query, no template,
but the whole middleware stack (`/healthz` queries the scheduler's state and answers 503
with no cluster running); it builds its JSON Schema with pydantic on every request, so a
404 is measured too, as the floor: the middleware and URL resolution, nothing else. The scorecard's first view after the seeding is timed on its own
(uncached); every worker then renders its own copy during a warm-up (the cache is per
process), and the rounds measure the cached page. Each round is `wrk -t2 -c8 -d10s` against
each page, the pages taking turns, BENCH_LOAD_ROUNDS (3) rounds; medians are printed. wrk
shares the machine's cores with the server, so the ratio is the figure to read. Gunicorn is
stopped and the database dropped at the end, even on error. Prints figures, asserts none.

Reads under writes (issue 23): each round also loads the scorecard while a writer process
(`python -m bench.throughput --writer`, its own Django and connection) records one real
decision a second through `decisions.resolve`, the admin's path, on predictions it flagged
beforehand; the line beside it is the same page in the same round without the writer. Then
the scorecard's first view after a decision is timed against the trivial page and a warm
scorecard view, BENCH_FIRST_VIEWS (5) times, medians. BENCH_REUSE=1 copies the database
bench/run.py seeded and kept (`<name>_bench_<size>`, if there is one) instead of seeding anew.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/throughput.py` as well as `python -m bench.throughput`
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

from bench.run import Server, prepare, use_database  # noqa: E402

TRIVIAL, SCORECARD, FLOOR = "trivial (/export/schema.json)", "scorecard (/)", "floor: a 404 (/no-such-page)"
PAGES = {TRIVIAL: "/export/schema.json", SCORECARD: "/", FLOOR: "/no-such-page"}
WRK = ["wrk", "-t2", "-c8", "-d10s", "--latency", "--timeout", "10s"]
# What the reverse proxy in front of production sends (docs/operating.md, "Running in production").
PROXY_HEADER = ("X-Forwarded-Proto", "https")
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
WRK_MISSING = "wrk not found: `apt-get install wrk` (Debian's package) to measure requests/s"
UNDER_WRITES = "scorecard (/), 1 decision/s"
WRITES_PER_SECOND = 1.0
# The writer's decisions for a round (10 s) and the warm-up, with room to spare.
WRITER_BATCH = 60


@dataclass
class Load:
    """One page's wrk runs: requests/s and latency percentiles (ms), one entry per round."""

    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    errors: int = 0


def latency_ms(text: str, percentile: str) -> float:
    found = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not found:
        raise ValueError(f"wrk printed no {percentile}% latency:\n{text}")
    return float(found.group(1)) * UNITS[found.group(2)]


def run_wrk(url: str, load: Load, duration: str | None = None) -> None:
    command = [*WRK, "-H", f"{PROXY_HEADER[0]}: {PROXY_HEADER[1]}", url]
    if duration:
        command[3] = f"-d{duration}"
    # wrk stops itself after -d; the timeout is for a wrk that does not.
    text = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    if not rps:
        raise ValueError(f"wrk printed no Requests/sec:\n{text}")
    load.rps.append(float(rps.group(1)))
    load.p50.append(latency_ms(text, "50"))
    load.p99.append(latency_ms(text, "99"))
    # The floor's 404s are what it is for; every other page must answer 200.
    if not url.endswith(PAGES[FLOOR]) and (found := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)):
        load.errors += int(found.group(1))
    if found := re.search(r"^\s*Socket errors:(.*)$", text, re.MULTILINE):
        load.errors += sum(int(n) for n in re.findall(r"\d+", found.group(1)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> float:
    """Seconds to fetch `url` whole, as the proxy would ask for it."""
    request = urllib.request.Request(url, headers=dict([PROXY_HEADER]))
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
    return time.perf_counter() - started


def server_env(database: str, folder: str, port: int) -> dict[str, str]:
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{base}/{database}",
        DEBUG="False",
        SECRET_KEY="bench-only-secret-key-0123456789-0123456789-0123456789",
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(Path(folder) / "static"),
        WEB_BIND=f"127.0.0.1:{port}",
    )
    return env


@contextmanager
def gunicorn(env: dict[str, str], folder: str) -> Iterator[str]:
    """A production server on loopback for the block; its base URL. Its log (a warning per
    404 of the floor) goes to a file, whose end is printed if anything fails."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    command = [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "config.wsgi:application"]
    log = Path(folder) / "gunicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    base = f"http://{env['WEB_BIND']}"
    try:
        wait_until_up(base, server)
        yield base
    except Exception:
        print("gunicorn's log ends:", *log.read_text().splitlines()[-20:], sep="\n  ", file=sys.stderr)
        raise
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    for _ in range(150):
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            get(base + "/export/schema.json")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")


@dataclass
class Measured:
    """One size's figures: the uncached first view (s), each page's load, the decisions the
    writer made during its rounds, and the first views after a decision (ms, with the trivial
    page and a warm scorecard timed beside each)."""

    first_view: float
    loads: dict[str, Load]
    decisions: int = 0
    after_write: list[float] = field(default_factory=list)
    trivial: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    stale: list[float] = field(default_factory=list)  # ms from a decision to a page showing it


def measure(base: str, rounds: int, database: str) -> Measured:
    """The scorecard's uncached first view (s), then each page's load, pages taking turns,
    the scorecard once more with a writer making a decision a second; then first views after
    a decision."""
    first_view = get(base + "/")
    warm = Load()
    for path in PAGES.values():  # every worker's cache and connection, not counted
        run_wrk(base + path, warm, duration="3s")
    pages = [*PAGES.items(), (UNDER_WRITES, "/")]
    result = Measured(first_view, {label: Load() for label, _ in pages})
    for round_ in range(rounds):
        order = pages if round_ % 2 == 0 else list(reversed(pages))
        for label, path in order:
            if label == UNDER_WRITES:
                with writer(database) as made:
                    run_wrk(base + path, result.loads[label])
                result.decisions += made[0]
            else:
                run_wrk(base + path, result.loads[label])
    first_views_after_a_write(base, database, result)
    return result


@contextmanager
def writer(database: str) -> Iterator[list[int]]:
    """A writer process on `database` for the block, deciding WRITES_PER_SECOND; the number
    of decisions it made, in the list yielded, once the block ends."""
    env = dict(os.environ, DATABASE_URL=f"{os.environ['DATABASE_URL'].rsplit('/', 1)[0]}/{database}")
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.throughput", "--writer"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    made = [0]
    try:
        ready = process.stdout.readline()  # it flags its predictions first, before the clock starts
        if ready.strip() != "ready":
            raise RuntimeError(f"the writer did not start: {ready!r}")
        yield made
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
        found = re.search(r"decisions (\d+)", out or "")
        made[0] = int(found.group(1)) if found else 0


def flagged_for_review(count: int) -> list[int]:
    """`count` open predictions already due, flagged (the scheduler's `flag_one`) so that a
    reviewer may decide them; their ids."""
    from django.db.models import F
    from django.utils import timezone

    from predictions.models import Prediction
    from predictions.tasks import flag_one

    today = timezone.localdate()
    # Spread over the table (every 97th id), not the first ones in index order, so the
    # decisions land on many speakers as a day of reviewing would.
    flaggable = Prediction.objects.flaggable(today).annotate(spread=F("id") % 97).filter(spread=0)
    pks = list(flaggable.values_list("pk", flat=True)[:count])
    return [pk for pk in pks if flag_one(pk, today, at=timezone.now(), note="Bench.")]


def decide(pk: int) -> None:
    from predictions.actors import Actor
    from predictions.decisions import resolve
    from predictions.models import Outcome, Prediction

    resolve(Prediction.objects.get(pk=pk), outcome=Outcome.HELD_UP, note="Bench.", actor=Actor(None, "bench"))


def write_once_a_second() -> int:
    """The writer process: flag WRITER_BATCH predictions, say "ready", then decide one of them
    every 1/WRITES_PER_SECOND s until SIGTERM (or the batch is done); print how many."""
    django.setup()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    pks = flagged_for_review(WRITER_BATCH)
    print("ready", flush=True)
    made, started = 0, time.monotonic()
    while pks and not stop:
        decide(pks.pop())
        made += 1
        pause = started + made / WRITES_PER_SECOND - time.monotonic()
        if pause > 0 and not stop:
            time.sleep(pause)
    print(f"decisions {made}", flush=True)
    return 0


def first_views_after_a_write(base: str, database: str, result: Measured) -> None:
    """A decision, then the scorecard's first view, the trivial page and the scorecard again
    (warm), each timed on its own, and how long until a view shows the decision (a new ETag:
    how stale a reader's page can be); BENCH_FIRST_VIEWS times."""
    times = int(os.environ.get("BENCH_FIRST_VIEWS", "5"))
    use_database(database)
    try:
        pks = flagged_for_review(times)
        for pk in pks:
            before = etag(base + "/")
            decide(pk)
            decided = time.perf_counter()
            result.after_write.append(get(base + "/") * 1000)
            result.trivial.append(get(base + PAGES[TRIVIAL]) * 1000)
            result.warm.append(get(base + "/") * 1000)
            while etag(base + "/") == before and time.perf_counter() - decided < 30:
                time.sleep(0.005)
            result.stale.append((time.perf_counter() - decided) * 1000)
    finally:
        use_database("postgres")


def etag(url: str) -> str:
    request = urllib.request.Request(url, headers=dict([PROXY_HEADER]))
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        return response.headers["ETag"]


def measure_size(server: Server, size: int, rounds: int) -> Measured:
    name = f"{server.base}_rps_{size}"
    folder = tempfile.TemporaryDirectory(prefix="bench-throughput-")
    try:
        seconds = seeded(server, name, size)
        use_database("postgres")  # the server's workers are the only ones on it
        print(f"  ready in {seconds:.1f}s; loading gunicorn with wrk", file=sys.stderr, flush=True)
        with gunicorn(server_env(name, folder.name, free_port()), folder.name) as base:
            return measure(base, rounds, name)
    finally:
        use_database("postgres")
        server.drop(name)
        folder.cleanup()


def seeded(server: Server, name: str, size: int) -> float:
    """`name` seeded with `size` predictions: a copy of bench/run.py's kept database when
    BENCH_REUSE=1 and it exists (migrated to this code's migrations), else seeded afresh."""
    from django.core.management import call_command
    from django.db import connection

    kept = f"{server.base}_bench_{size}"
    if os.environ.get("BENCH_REUSE") == "1":
        use_database("postgres")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [kept])
            exists = cursor.fetchone() is not None
        if exists:
            print(f"copying {kept} into {name}...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            server.create(name, template=kept)
            use_database(name)
            call_command("migrate", verbosity=0, interactive=False)
            with connection.cursor() as cursor:  # its first view must be a render, as after seeding
                cursor.execute("DELETE FROM predictions_page_cache")
            return time.perf_counter() - started
    print(f"seeding {size:,} predictions into {name}...", file=sys.stderr, flush=True)
    return prepare(server, name, size)


def print_table(results: list[tuple[int, Measured]]) -> None:
    header = f"{'predictions':>11}  {'page':<29} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'vs 404':>6}"
    print("\n" + header)
    print("-" * len(header))
    for size, measured in results:
        loads = measured.loads
        rps = {label: statistics.median(load.rps) for label, load in loads.items()}
        for label, load in loads.items():
            ratio = ""
            if label == SCORECARD:
                ratio = f"{rps[SCORECARD] / rps[TRIVIAL]:.2f} {rps[SCORECARD] / rps[FLOOR]:>6.2f}"
            if label == UNDER_WRITES:  # beside the same page without the writer
                ratio = f"{rps[UNDER_WRITES] / rps[SCORECARD]:.2f}"
            errors = f"  {load.errors} errors or non-2xx!" if load.errors else ""
            print(
                f"{size:>11,}  {label:<29} {statistics.median(load.rps):>10,.0f} "
                f"{statistics.median(load.p50):>8.1f} {statistics.median(load.p99):>8.1f} {ratio:>6}{errors}"
            )
        print(f"{size:>11,}  scorecard's first view, uncached: {measured.first_view * 1000:,.0f} ms")
        print(
            f"{size:>11,}  reads under writes: {rps[UNDER_WRITES]:,.0f} req/s, p99 "
            f"{statistics.median(loads[UNDER_WRITES].p99):,.0f} ms with {measured.decisions} decisions "
            f"({rps[UNDER_WRITES] / rps[SCORECARD]:.2f} of {rps[SCORECARD]:,.0f} req/s, p99 "
            f"{statistics.median(loads[SCORECARD].p99):,.0f} ms without)"
        )
        if measured.after_write:
            after, trivial = statistics.median(measured.after_write), statistics.median(measured.trivial)
            print(
                f"{size:>11,}  first view after a decision: {after:,.1f} ms, trivial page {trivial:,.1f} ms "
                f"({after / trivial:.1f}x), warm scorecard {statistics.median(measured.warm):,.1f} ms; "
                f"a view shows the decision {statistics.median(measured.stale):,.0f} ms after it "
                f"(at most {max(measured.stale):,.0f}; medians of {len(measured.after_write)})"
            )
    workers, threads = os.environ.get("WEB_WORKERS", "4"), os.environ.get("WEB_THREADS", "2")
    print(
        f"gunicorn gthread {workers}x{threads} on loopback, DEBUG=False; `{' '.join(WRK[:4])}` per page"
        " and round, medians of the rounds; ratio: scorecard/trivial requests/s (target >= 0.5), and"
        " under writes: with/without the writer (target >= 0.5, p99 < 200 ms); vs 404: scorecard/floor"
        " (a 404: the middleware, URL resolution and nothing else)"
    )


def main() -> int:
    if sys.argv[1:] == ["--writer"]:
        return write_once_a_second()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench/throughput.py needs DATABASE_URL=postgres://user@host:5432/name.", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print(f"\nrequests/s: skipped; {WRK_MISSING}.", flush=True)
        return 0
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000").split(",") if s.strip()]
    rounds = int(os.environ.get("BENCH_LOAD_ROUNDS", "3"))
    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # DEBUG keeps every statement's SQL in memory
    server = Server(dict(settings.DATABASES["default"]))
    results = [(size, measure_size(server, size, rounds)) for size in sizes]
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
