"""Load benchmark: does the public scorecard stay responsive while staff download exports?

Seeds a throwaway PostgreSQL database (`<name>_load` beside DATABASE_URL's, dropped
afterwards) with BENCH_PREDICTIONS predictions (default 20,000) by the bench's SQL seed
(bench/seed.py: 30% resolved with their history), starts gunicorn on loopback exactly as production does
(config/gunicorn.py, gthread, WEB_WORKERS x WEB_THREADS from the environment), then measures
the scorecard's latency idle and while 4 CSV exports stream at once. Prints figures and
asserts nothing: a benchmark, not a test (not part of `make test`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/predictions .venv/bin/python bench/export_load.py
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREDICTIONS = int(os.environ.get("BENCH_PREDICTIONS", "20000"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "40"))
EXPORTS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=120) as response:
        size = 0
        while chunk := response.read(1 << 16):
            size += len(chunk)
        return size


def latencies(url: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        get(url)
        times.append(time.perf_counter() - started)
    return times


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def seed(env: dict[str, str]) -> None:
    """The bench's SQL seed (bench/seed.py), as `make bench` seeds its databases."""
    code = (
        "import django; django.setup();"
        "from django.db import connection; from bench.seed import seed;"
        "cursor = connection.cursor();"
        f"seed(cursor, {PREDICTIONS}); cursor.execute('VACUUM ANALYZE');"
        f"print('seeded', {PREDICTIONS}, 'predictions')"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def main() -> None:  # noqa: C901 - one linear script: start a server, measure idle, measure under load, report
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/export_load.py seeds with PostgreSQL's SQL: set DATABASE_URL=postgres://...")
    folder = tempfile.TemporaryDirectory(prefix="export-load-")
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE",)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="False",
        SECRET_KEY="bench-only-secret-key-0123456789-0123456789-0123456789",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="False",
        PUBLIC_EXPORT="True",  # the exports need no login here
        STATIC_ROOT=str(Path(folder.name) / "static"),
        SQLITE_PATH=str(Path(folder.name) / "load.sqlite3"),
    )
    dropdb = None
    if os.environ.get("DATABASE_URL"):
        import psycopg

        base = os.environ["DATABASE_URL"]
        name = base.rsplit("/", 1)[1] + "_load"
        admin_url = base.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name

        def dropdb() -> None:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    port = free_port()
    env["WEB_BIND"] = f"127.0.0.1:{port}"
    server = None
    try:
        manage(env, "migrate", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        seed(env)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "config/gunicorn.py",
                "--access-logfile",
                "/dev/null",
                "config.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                get(base + "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        scorecard = base + "/"
        latencies(scorecard, 5)  # warm up every worker's connection and caches

        idle = latencies(scorecard, SAMPLES)
        started = time.perf_counter()
        sizes: list[int] = []
        stop = threading.Event()

        def export() -> None:
            while not stop.is_set():
                sizes.append(get(base + "/export/resolutions.csv"))

        threads = [threading.Thread(target=export) for _ in range(EXPORTS)]
        for t in threads:
            t.start()
        time.sleep(0.5)  # the exports are under way
        busy = latencies(scorecard, SAMPLES)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started

        workers, threads_each = env.get("WEB_WORKERS", "4"), env.get("WEB_THREADS", "2")
        idle_ms, busy_ms = statistics.median(idle) * 1000, statistics.median(busy) * 1000
        print(f"database: {'PostgreSQL' if 'DATABASE_URL' in env else 'SQLite'}, {PREDICTIONS:,} predictions")
        print(f"gunicorn: gthread, {workers} workers x {threads_each} threads")
        print(
            f"scorecard median idle:             {idle_ms:7.1f} ms (p90 {sorted(idle)[int(len(idle) * 0.9)] * 1000:.1f} ms)"
        )
        print(
            f"scorecard median during {EXPORTS} exports: {busy_ms:7.1f} ms (p90 {sorted(busy)[int(len(busy) * 0.9)] * 1000:.1f} ms)"
        )
        print(f"ratio: {busy_ms / idle_ms:.2f}x (the goal: within 2x)")
        if sizes:
            print(
                f"exports finished meanwhile: {len(sizes)}, {statistics.mean(sizes) / 1e6:.1f} MB each, in {elapsed:.1f}s"
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if dropdb is not None:
            dropdb()
        folder.cleanup()


if __name__ == "__main__":
    main()
