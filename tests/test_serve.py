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

from tests.support import process_groups, wait_for

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    port = free_port()
    venv_bin = str(Path(sys.executable).parent)
    env.update(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        PYTHONUNBUFFERED="1",
        WEB_ADDR=f"127.0.0.1:{port}",
        PATH=f"{venv_bin}:{env.get('PATH', '')}",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        # What `make run` runs: honcho with the Procfile.
        serve = subprocess.Popen(
            [str(Path(venv_bin) / "honcho"), "start", "--no-colour"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        assert wait_for(lambda: answers(f"http://127.0.0.1:{port}/admin/login/"), 60), log.read_text()
        assert wait_for(lambda: "running." in log.read_text(), 60), log.read_text()
        pids = dict(re.findall(r"(web|cluster)\.1 started \(pid=(\d+)\)", log.read_text()))
        assert set(pids) == {"web", "cluster"}, log.read_text()
        web, cluster = int(pids["web"]), int(pids["cluster"])
        assert {web, cluster} <= process_groups()

        started = time.monotonic()
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=40)
        assert time.monotonic() - started < 15, log.read_text()
    finally:
        if serve.poll() is None:
            serve.kill()
    # Each process led its own group: none of their processes may be left.
    assert wait_for(lambda: not ({web, cluster} & process_groups()), 10), log.read_text()
    assert not answers(f"http://127.0.0.1:{port}/admin/login/")
    # The cluster stopped in order (bin/cluster), not by honcho's SIGKILL after its grace.
    assert "SIGKILL" not in log.read_text(), log.read_text()
