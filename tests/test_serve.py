"""`make run`'s server: the web server and the django-q2 cluster start together and Ctrl-C
stops both, leaving no process behind."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_groups() -> set[int]:
    groups = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The fields after the command name: state, ppid, pgrp, ...
            groups.add(int(stat.read_text().rsplit(")", 1)[1].split()[2]))
        except (OSError, IndexError, ValueError):
            continue
    return groups


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_ctrl_c_stops_the_web_server_and_the_cluster(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(SQLITE_PATH=str(tmp_path / "db.sqlite3"), PYTHONUNBUFFERED="1")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        serve = subprocess.Popen(
            [*manage, "serve", "--addr", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        assert wait_for(lambda: answers(f"http://127.0.0.1:{port}/admin/login/"), 60), log.read_text()
        assert wait_for(lambda: "running." in log.read_text(), 60), log.read_text()
        pids = re.search(r"\(pid (\d+)\).*\(pid (\d+)\)", log.read_text())
        assert pids, log.read_text()
        web, cluster = int(pids[1]), int(pids[2])
        assert {web, cluster} <= process_groups()

        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=40) == 0, log.read_text()
    finally:
        if serve.poll() is None:
            serve.kill()
    # Each child led its own process group: none of their processes may be left.
    assert wait_for(lambda: not ({web, cluster} & process_groups()), 10), log.read_text()
    assert not answers(f"http://127.0.0.1:{port}/admin/login/")
    assert "Stopped." in log.read_text()
