"""A database that cannot be reached: commands say so in one line and exit non-zero; the
web answers a 503 page saying so (the admin login too), and /healthz a 503 in JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from predictions.middleware import DatabaseUnavailableMiddleware, server_error
from tests.support import clean_environ, closed_port, fetch

ROOT = Path(__file__).resolve().parent.parent


def down_environ() -> dict[str, str]:
    env = clean_environ("DJANGO_SETTINGS_MODULE")
    env.update(DATABASE_URL=f"postgres://nobody@127.0.0.1:{closed_port()}/predictions", PYTHONUNBUFFERED="1")
    return env


@pytest.mark.parametrize(
    "command",
    [
        ["migrate"],
        ["flag_due_predictions"],
        ["import_predictions", "fixtures/state-of-ai-2026.yaml"],
        ["qcluster"],
        ["runserver", "--noreload"],
    ],
)
def test_a_command_says_in_one_line_that_the_database_cannot_be_reached(command: list[str]) -> None:
    env = down_environ()
    result = subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    port = env["DATABASE_URL"].rsplit(":", 1)[1].split("/")[0]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Database error: cannot reach the database at 127.0.0.1:{port} ("), lines[0]
    assert "Connection refused" in lines[0]


def test_the_web_answers_503_pages_saying_so(tmp_path: Path) -> None:
    env = down_environ()
    env.update(DEBUG="False", SECRET_KEY="x" * 60, SECURE_SSL_REDIRECT="False", ALLOWED_HOSTS="127.0.0.1")
    port = closed_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, kind, body = fetch(f"{base}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert status == 503
        assert json.loads(body) == {
            "database": "unreachable",
            "scheduler": "unknown: the database is unreachable",
        }
        for path in ("/", "/predictions/1/", "/admin/login/", "/admin/predictions/prediction/"):
            status, kind, body = fetch(base + path)
            assert status == 503, (path, body)
            assert "cannot reach its database" in body, path
            assert "Traceback" not in body
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert "Traceback" not in log.read_text()


def refused() -> OperationalError:
    error = OperationalError("connection failed: Connection refused")
    error.__cause__ = type("ClientSideError", (Exception,), {"sqlstate": None})()
    return error


def test_the_middleware_turns_an_unreachable_database_in_a_view_into_a_503() -> None:
    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse())
    response = middleware.process_exception(RequestFactory().get("/"), refused())
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "cannot reach its database" in response.content.decode()


def test_the_middleware_leaves_other_database_errors_alone() -> None:
    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse())
    locked = OperationalError("database is locked")
    assert middleware.process_exception(RequestFactory().get("/"), locked) is None
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("x")) is None


def test_an_unreachable_database_met_outside_a_view_is_a_503_too() -> None:
    try:
        raise refused()
    except OperationalError:
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 503
