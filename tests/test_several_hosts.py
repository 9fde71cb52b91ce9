"""Several hosts on one PostgreSQL and one Redis: two gunicorn servers and two clusters
(bin/cluster), as docker-compose's `--scale web=2 --scale worker=2` runs them. The daily job
flags each prediction once however many workers take it; a decision made through one server
shows on the other's next view; the throttle counts across both; /healthz answers on each.

Needs PostgreSQL (DATABASE_URL) and a Redis at TEST_REDIS_URL (default db 6 on localhost,
emptied by this test before and after)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django_q.models import Schedule, Task

from predictions.management.commands.install_schedule import RUN_AT
from predictions.models import JOB_NAME, TASK_FUNC, Event, EventKind, Outcome, Prediction, Status
from tests.conftest import requires_postgres
from tests.support import clean_environ, closed_port, fetch, wait_for

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/6")
RATE = 10  # per day: a window that does not end during the test
PREDICTIONS = 30
RUNS = 5  # the daily job's task queued this many times, so both clusters' workers race on it

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_db() -> Iterator[object]:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"needs a Redis at {REDIS_URL} (TEST_REDIS_URL)")
    client.flushdb()  # this test's own database number, never FLUSHALL
    yield client
    client.flushdb()
    client.close()


def environment(tmp_path: Path) -> dict[str, str]:
    db = connection.settings_dict
    env = clean_environ("DJANGO_SETTINGS_MODULE", "CACHE_URL", "DATABASE_REPLICA_URL", "SITE_ROOT")
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}",
        REDIS_URL=REDIS_URL,
        ALLOWED_HOSTS="127.0.0.1",
        API_ANON_RATE=f"{RATE}/day",
        WEB_WORKERS="2",
        WEB_THREADS="2",
        Q_WORKERS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


class Started:
    def __init__(self) -> None:
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(self, command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
        with log.open("w") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
            )
        self.processes.append((process, log))
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for _, log in self.processes)

    def stop(self) -> None:
        for process, _ in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def started() -> Iterator[Started]:
    s = Started()
    yield s
    s.stop()


def answers(base: str) -> bool:
    try:
        fetch(base + "/healthz")
    except OSError:
        return False
    return True


def held_up_on(base: str) -> str:
    status, _, page = fetch(base + "/")
    assert status == 200
    return re.search(r'data-total="held_up">(\d+)<', page)[1]


def decide_through(base: str, prediction: Prediction) -> int:
    """Sign in as alice and record an outcome through the admin, as a browser would."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/admin/login/", timeout=10).read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    login = {"username": "alice", "password": "password", "csrfmiddlewaretoken": token, "next": "/admin/"}
    opener.open(base + "/admin/login/", urllib.parse.urlencode(login).encode(), timeout=10).read()
    token = next(c.value for c in jar if c.name == "csrftoken")  # rotated at sign-in
    decision = {
        "resolve-outcome": Outcome.HELD_UP,
        "resolve-unresolvable_reason": "",
        "resolve-note": "Seen to hold.",
        "resolve-evidence": "https://example.org/evidence",
        "resolve-version": str(prediction.version),
        "resolve-known_on": timezone.localdate().isoformat(),
        "csrfmiddlewaretoken": token,
    }
    url = f"{base}/admin/predictions/prediction/{prediction.pk}/decide/resolve/"
    with opener.open(url, urllib.parse.urlencode(decision).encode(), timeout=10) as response:
        return response.status


def api_statuses(base: str, times: int) -> list[int]:
    statuses = []
    for _ in range(times):
        try:
            with urllib.request.urlopen(base + "/api/predictions", timeout=10) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as e:
            statuses.append(e.code)
    return statuses


def test_two_servers_and_two_clusters_share_one_database_and_one_redis(
    tmp_path: Path, redis_db, started: Started, make_prediction, reviewer
) -> None:
    for _ in range(PREDICTIONS):
        make_prediction(stated_on=date(2025, 1, 31), due_on=date(2026, 1, 31))
    # The servers know production's hashers, not the tests' fast one.
    reviewer.password = PBKDF2PasswordHasher().encode("password", "several-hosts-salt")
    reviewer.save(update_fields=["password"])
    # Installed as after today's run: the clusters' schedulers first look after 30 s, too long
    # to wait for here, so the runs are queued directly below (the same task, the same queue).
    call_command("install_schedule", stdout=open(os.devnull, "w"))
    tomorrow = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), RUN_AT))
    Schedule.objects.filter(name=JOB_NAME).update(next_run=tomorrow)
    env = environment(tmp_path)
    servers = []
    for name in ("a", "b"):
        port = closed_port()
        web = {**env, "WEB_BIND": f"127.0.0.1:{port}"}
        started.start(
            [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "config.wsgi:application"],
            web,
            tmp_path / f"web-{name}.log",
        )
        started.start([sys.executable, "bin/cluster"], env, tmp_path / f"cluster-{name}.log")
        servers.append(f"http://127.0.0.1:{port}")
    a, b = servers
    # Queued once both clusters wait on the queue, so their workers race for the copies.
    clusters_up = [tmp_path / "cluster-a.log", tmp_path / "cluster-b.log"]
    assert wait_for(lambda: all("running." in log.read_text() for log in clusters_up), 60), started.logs()
    queue = f"from django_q.tasks import async_task\nfor _ in range({RUNS}): async_task({TASK_FUNC!r})"
    subprocess.run([sys.executable, "manage.py", "shell", "-c", queue], cwd=ROOT, env=env, check=True)

    assert wait_for(lambda: answers(a) and answers(b), 60), started.logs()
    assert wait_for(lambda: Task.objects.filter(func=TASK_FUNC).count() >= RUNS, 90), started.logs()

    # Flagged once each: one history row per prediction, however many runs and workers.
    assert Prediction.objects.filter(status=Status.DUE).count() == PREDICTIONS
    per_prediction = Event.objects.filter(kind=EventKind.FLAGGED).values("prediction").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_prediction) == [1] * PREDICTIONS
    assert Task.objects.filter(func=TASK_FUNC, success=True).count() >= RUNS, started.logs()

    for base in (a, b):
        status, _, body = fetch(base + "/healthz")
        assert (status, json.loads(body)) == (200, {"database": "ok", "scheduler": "ok"}), (base, body)

    # A decision through a shows on b within one render, b's cached page notwithstanding: the
    # first view after it may be the version before while b renders the new one behind its
    # response (SCORECARD_RENDER_BEHIND), once for both servers, in the shared Redis.
    assert held_up_on(b) == "0"
    assert held_up_on(b) == "0"  # now from the cache
    assert redis_db.keys("predictions:*scorecard:*"), "the page is cached in the shared Redis"
    assert decide_through(a, Prediction.objects.order_by("pk").first()) == 200
    assert Prediction.objects.filter(outcome=Outcome.HELD_UP).count() == 1
    assert wait_for(lambda: held_up_on(b) == "1", 10)
    assert held_up_on(a) == "1", "b's render is a's too"

    # One count for both servers and all their workers: RATE in all, not RATE per process.
    statuses = api_statuses(a, 7) + api_statuses(b, 7)
    assert statuses.count(200) == RATE, statuses
    assert statuses.count(429) == 14 - RATE, statuses
