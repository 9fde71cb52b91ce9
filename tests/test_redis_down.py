"""Redis down or hanging: the cluster refuses to start with one line, and a Redis that
accepts connections but never answers costs a bounded wait (socket timeouts on the cache's
and the broker's connections) while the pages still answer."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings

from config.settings import REDIS_CACHE_TIMEOUT, REDIS_CONNECT_TIMEOUT, redis_cache
from predictions import caching
from tests.support import clean_environ, closed_port

ROOT = Path(__file__).resolve().parent.parent

redis = pytest.importorskip("redis")


@pytest.fixture
def hanging_redis() -> Iterator[int]:
    """A port that accepts TCP connections and never sends a byte back."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    environ = clean_environ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE")
    environ.update(env)
    code = (
        "import django, json; django.setup()\n"
        "from django.core.cache import cache\n"
        "from django_q.brokers import get_broker\n"
        "kw = lambda pool: {k: pool.connection_kwargs.get(k) for k in ('socket_connect_timeout', 'socket_timeout')}\n"
        "broker = get_broker()\n"
        "print(json.dumps({'cache': kw(cache._cache._get_connection_pool(True)), 'broker_class': type(broker).__name__,"
        " 'broker': kw(broker.connection.connection_pool) if hasattr(broker.connection, 'connection_pool') else None}))\n"
    )
    environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True)


def test_redis_down_at_cluster_start_is_one_line_and_a_failed_exit(tmp_path: Path) -> None:
    port = closed_port()
    env = clean_environ("DATABASE_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE")
    env.update(SQLITE_PATH=str(tmp_path / "db.sqlite3"), REDIS_URL=f"redis://127.0.0.1:{port}/5")
    done = subprocess.run(
        [sys.executable, "bin/cluster"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"bin/cluster: cannot reach the broker's Redis at 127.0.0.1:{port} ")
    assert "Traceback" not in done.stderr + done.stdout


def test_redis_url_gives_the_cache_and_the_broker_socket_timeouts(hanging_redis: int) -> None:
    done = settings_with(REDIS_URL=f"redis://127.0.0.1:{hanging_redis}/5")
    assert done.returncode == 0, done.stderr
    options = json.loads(done.stdout)
    assert options["cache"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    # The broker's reads outlast its 1 s BLPOP; connecting is as quick as the cache's.
    assert options["broker_class"] == "Redis"
    assert options["broker"] == {"socket_connect_timeout": 0.5, "socket_timeout": 5.0}


def test_cache_url_alone_gives_the_cache_its_timeouts_and_leaves_the_orm_broker(hanging_redis: int) -> None:
    environ = {"CACHE_URL": f"redis://127.0.0.1:{hanging_redis}/5"}
    done = settings_with(**environ)
    assert done.returncode == 0, done.stderr
    options = json.loads(done.stdout)
    assert options["cache"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    assert options["broker_class"] == "ORM"


@pytest.mark.django_db
def test_the_scorecard_answers_with_a_redis_that_never_replies(
    hanging_redis: int, make_prediction, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert REDIS_CONNECT_TIMEOUT + 2 * REDIS_CACHE_TIMEOUT <= 1.5  # a get and a set at most
    monkeypatch.setattr(caching.state, "failing", False)
    make_prediction()
    with override_settings(CACHES={"default": redis_cache(f"redis://127.0.0.1:{hanging_redis}/5")}):
        for url in ("/", "/api/predictions"):
            assert Client().get(url).status_code == 200
    assert caching.state.failing  # it was tried, timed out, and counted as a miss


def test_the_cluster_start_with_a_redis_that_never_replies_is_one_line(
    tmp_path: Path, hanging_redis: int
) -> None:
    env = clean_environ("DATABASE_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE")
    env.update(SQLITE_PATH=str(tmp_path / "db.sqlite3"), REDIS_URL=f"redis://127.0.0.1:{hanging_redis}/5")
    done = subprocess.run(
        [sys.executable, "bin/cluster"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Timeout" in done.stderr or "timed out" in done.stderr, done.stderr
