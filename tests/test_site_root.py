"""In development the links in e-mails point where `make run`'s server listens: SITE_ROOT
follows WEB_ADDR unless it is set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import clean_environ

ROOT = Path(__file__).resolve().parent.parent


def site_root(**env: str) -> str:
    environ = clean_environ("SITE_ROOT", "WEB_ADDR", "DEBUG", "DJANGO_SETTINGS_MODULE")
    environ.update(env)
    code = "import config.settings as s; print(s.SITE_ROOT)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.parametrize(
    ("web_addr", "root"),
    [
        ("127.0.0.1:8001", "http://127.0.0.1:8001"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000"),
        ("8002", "http://127.0.0.1:8002"),
        ("localhost:8003", "http://localhost:8003"),
    ],
)
def test_site_root_follows_web_addr_in_development(web_addr: str, root: str) -> None:
    assert site_root(WEB_ADDR=web_addr) == root


def test_a_site_root_that_is_set_wins() -> None:
    assert site_root(WEB_ADDR="127.0.0.1:8001", SITE_ROOT="https://predictions.example.org/") == (
        "https://predictions.example.org"
    )


def test_the_default_is_port_8000() -> None:
    assert site_root() == "http://127.0.0.1:8000"
