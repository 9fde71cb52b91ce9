"""`kill -9` of `bin/cluster` (an out-of-memory kill, a supervisor's last resort) leaves no
qcluster behind: the wrapper cannot pass anything on once killed, so the kernel tells
qcluster (PR_SET_PDEATHSIG) and it stops in order as it would on the wrapper's SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import children_of, clean_environ, process_groups, wait_for

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")


def test_kill_9_of_the_wrapper_leaves_no_qcluster_behind(tmp_path: Path) -> None:
    env = clean_environ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE")
    env.update(SQLITE_PATH=str(tmp_path / "db.sqlite3"), PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    log = tmp_path / "cluster.log"
    with log.open("w") as out:
        wrapper = subprocess.Popen(
            [sys.executable, "bin/cluster"], cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    qcluster = None
    try:
        assert wait_for(lambda: "running." in log.read_text(), 60), log.read_text()
        (qcluster,) = children_of(wrapper.pid)
        wrapper.kill()  # SIGKILL: no handler runs, nothing is passed on
        wrapper.wait(timeout=10)
        assert wait_for(lambda: qcluster not in process_groups(), 20), log.read_text()
    finally:
        for group in (wrapper.pid, qcluster):
            if group is not None and group in process_groups():
                os.killpg(group, signal.SIGKILL)
