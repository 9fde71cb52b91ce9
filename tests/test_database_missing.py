"""A PostgreSQL server that answers but lacks the named database: commands say the database
does not exist and how to create it, not that the server cannot be reached."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import dj_database_url
import pytest

from tests.support import clean_environ

ROOT = Path(__file__).resolve().parent.parent
URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not URL.startswith(("postgres://", "postgresql://")),
    reason="needs a PostgreSQL server (set DATABASE_URL)",
)


@pytest.mark.parametrize("command", [["migrate"], ["qcluster"]])
def test_a_missing_database_is_named_with_the_command_that_creates_it(command: list[str]) -> None:
    db = dj_database_url.parse(URL)
    name = f"missing_{uuid.uuid4().hex[:8]}"
    user = f"{db['USER']}@" if db.get("USER") else ""
    env = clean_environ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "CACHE_URL")
    env["DATABASE_URL"] = f"postgres://{user}{db['HOST']}:{db['PORT'] or 5432}/{name}"
    result = subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Database error: database {name} does not exist"), lines[0]
    assert f"create it with `createdb -h {db['HOST']} -p {db['PORT'] or 5432}" in lines[0]
    assert lines[0].endswith(f" {name}`."), lines[0]
    assert "cannot reach" not in lines[0]
