"""The django-q2 cluster under a process manager: SIGTERM to the whole process group (a
terminal's Ctrl-C, honcho, `kill -- -PGID`) stops `bin/cluster` cleanly and leaves no
process behind; a crashed run is delivered again within minutes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from predictions.checks import check_settings
from tests.support import children_of, clean_environ, process_groups, wait_for

ROOT = Path(__file__).resolve().parent.parent


def test_sigterm_to_the_process_group_stops_the_cluster_cleanly(tmp_path: Path) -> None:
    env = clean_environ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    env.update(SQLITE_PATH=str(tmp_path / "db.sqlite3"), PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    log = tmp_path / "cluster.log"
    with log.open("w") as out:
        wrapper = subprocess.Popen(
            [sys.executable, "bin/cluster"], cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        assert wait_for(lambda: "running." in log.read_text(), 60), log.read_text()
        (qcluster,) = children_of(wrapper.pid)
        assert len(children_of(qcluster)) >= 1  # the sentinel, which starts workers, monitor, pusher

        os.killpg(wrapper.pid, signal.SIGTERM)  # the whole group, as Ctrl-C or a process manager does
        assert wrapper.wait(timeout=40) == 0, log.read_text()
    finally:
        if wrapper.poll() is None:
            os.killpg(wrapper.pid, signal.SIGKILL)
    assert wait_for(lambda: not ({wrapper.pid, qcluster} & process_groups()), 10), log.read_text()
    text = log.read_text()
    assert "has stopped." in text
    assert "killing it" not in text  # stopped in order, not killed after the grace period


def test_a_crashed_run_is_delivered_again_within_minutes_but_never_while_it_may_still_run() -> None:
    q = settings.Q_CLUSTER
    assert q["timeout"] < q["retry"] <= 5 * 60
    assert [p.id for p in check_settings()] == []
