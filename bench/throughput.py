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
"""

from __future__ import annotations

import os
import re
import shutil
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


def measure(base: str, rounds: int) -> tuple[float, dict[str, Load]]:
    """The scorecard's uncached first view (s), then each page's load, pages taking turns."""
    first_view = get(base + "/")
    warm = Load()
    for path in PAGES.values():  # every worker's cache and connection, not counted
        run_wrk(base + path, warm, duration="3s")
    loads = {label: Load() for label in PAGES}
    for round_ in range(rounds):
        order = list(PAGES.items()) if round_ % 2 == 0 else list(reversed(PAGES.items()))
        for label, path in order:
            run_wrk(base + path, loads[label])
    return first_view, loads


def measure_size(server: Server, size: int, rounds: int) -> tuple[float, dict[str, Load]]:
    name = f"{server.base}_rps_{size}"
    folder = tempfile.TemporaryDirectory(prefix="bench-throughput-")
    try:
        print(f"seeding {size:,} predictions into {name}...", file=sys.stderr, flush=True)
        seconds = prepare(server, name, size)
        use_database("postgres")  # the server's workers are the only ones on it
        print(f"  seeded in {seconds:.1f}s; loading gunicorn with wrk", file=sys.stderr, flush=True)
        with gunicorn(server_env(name, folder.name, free_port()), folder.name) as base:
            return measure(base, rounds)
    finally:
        use_database("postgres")
        server.drop(name)
        folder.cleanup()


def print_table(results: list[tuple[int, float, dict[str, Load]]]) -> None:
    header = f"{'predictions':>11}  {'page':<29} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'vs 404':>6}"
    print("\n" + header)
    print("-" * len(header))
    for size, first_view, loads in results:
        rps = {label: statistics.median(load.rps) for label, load in loads.items()}
        for label, load in loads.items():
            ratio = ""
            if label == SCORECARD:
                ratio = f"{rps[SCORECARD] / rps[TRIVIAL]:.2f} {rps[SCORECARD] / rps[FLOOR]:>6.2f}"
            errors = f"  {load.errors} errors or non-2xx!" if load.errors else ""
            print(
                f"{size:>11,}  {label:<29} {statistics.median(load.rps):>10,.0f} "
                f"{statistics.median(load.p50):>8.1f} {statistics.median(load.p99):>8.1f} {ratio:>6}{errors}"
            )
        print(f"{size:>11,}  scorecard's first view, uncached: {first_view * 1000:,.0f} ms")
    workers, threads = os.environ.get("WEB_WORKERS", "4"), os.environ.get("WEB_THREADS", "2")
    print(
        f"gunicorn gthread {workers}x{threads} on loopback, DEBUG=False; `{' '.join(WRK[:4])}` per page"
        " and round, medians of the rounds; ratio: scorecard/trivial requests/s (target >= 0.5);"
        " vs 404: scorecard/floor (a 404: the middleware, URL resolution and nothing else)"
    )


def main() -> int:
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
    results = [(size, *measure_size(server, size, rounds)) for size in sizes]
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
