"""The production start is one command, `bin/start` (`make prod`): with DEBUG=False it
migrates, installs the schedule, collects the static files and serves through gunicorn's
gthread workers, and the pages and their stylesheet answer 200."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

from tests.support import clean_environ, closed_port, fetch

ROOT = Path(__file__).resolve().parent.parent


def test_bin_start_serves_pages_and_static_files_with_debug_off(tmp_path: Path) -> None:
    port = closed_port()
    env = clean_environ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    env.update(
        DEBUG="False",
        SECRET_KEY="a-long-random-secret-key-for-the-production-start-test-0123456789",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="False",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        STATIC_ROOT=str(tmp_path / "static"),
        WEB_BIND=f"127.0.0.1:{port}",
        WEB_WORKERS="1",
        WEB_THREADS="2",
        PYTHON=sys.executable,
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "start.log"
    with log.open("w") as out:
        server = subprocess.Popen(["bin/start"], cwd=ROOT, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _, page = fetch(base + "/")
                break
            except (OSError, urllib.error.URLError):
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert status == 200, page
        assert (tmp_path / "static" / "staticfiles.json").exists()  # collectstatic's manifest
        stylesheet = re.search(r'href="(/static/predictions/scorecard\.[0-9a-f]+\.css)"', page)
        assert stylesheet, page
        assert fetch(base + stylesheet[1])[0] == 200
        assert fetch(base + "/admin/login/")[0] == 200
        # No cluster runs in this test, so the scheduler's part may well say so; the
        # database's must be fine.
        assert json.loads(fetch(base + "/healthz")[2])["database"] == "ok"
        text = log.read_text()
        assert "Installed the schedule" in text
        assert "Using worker: gthread" in text
    finally:
        server.terminate()
        server.wait(timeout=30)
