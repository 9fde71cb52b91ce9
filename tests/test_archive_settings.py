"""The evidence archive's settings are read from the environment (docs/operating.md), with
the documented defaults when unset, and a value that cannot work refused at start-up in
one line."""

import subprocess
import sys
from pathlib import Path

from tests.support import clean_environ

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("ARCHIVE_EXTERNAL", "ARCHIVE_EXTERNAL_ENDPOINT", "ARCHIVE_ALLOWED_NETWORKS")
# What predictions/archiving.py reads, printed by a process started with `env`.
SHOW = (
    "from django.conf import settings; from predictions import archiving; "
    "print(settings.ARCHIVE_EXTERNAL, settings.ARCHIVE_EXTERNAL_ENDPOINT, "
    "','.join(str(n) for n in archiving.allowed_networks()) or '-')"
)


def start(**env: str) -> subprocess.CompletedProcess:
    environ = clean_environ("DATABASE_URL", "SECRET_KEY", "DEBUG", *NAMES)
    environ.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SHOW],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
    )


def test_unset_the_archive_uses_the_documented_defaults():
    result = start()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "https://web.archive.org/save/", "-"]


def test_the_environment_sets_each_archive_setting():
    result = start(
        ARCHIVE_EXTERNAL="True",
        ARCHIVE_EXTERNAL_ENDPOINT="http://archive.example/save/",
        ARCHIVE_ALLOWED_NETWORKS="127.0.0.1/32, 10.1.0.0/16,,::1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "http://archive.example/save/",
        "127.0.0.1/32,10.1.0.0/16,::1/128",
    ]


def test_an_archive_setting_that_cannot_work_fails_with_one_line():
    network = start(ARCHIVE_ALLOWED_NETWORKS="127.0.0.1/32,10.0.0.1/8")
    assert network.returncode != 0
    assert network.stderr.strip() == (
        "Configuration error: ARCHIVE_ALLOWED_NETWORKS must be networks separated by commas "
        "(such as 127.0.0.1/32,10.0.0.0/8), not '10.0.0.1/8'."
    )
    endpoint = start(ARCHIVE_EXTERNAL_ENDPOINT="web.archive.org/save/")
    assert endpoint.returncode != 0
    assert endpoint.stderr.strip() == (
        "Configuration error: ARCHIVE_EXTERNAL_ENDPOINT must be an http:// or https:// address, "
        "not 'web.archive.org/save/'."
    )
    switch = start(ARCHIVE_EXTERNAL="yes")
    assert switch.returncode != 0
    assert (
        switch.stderr.strip() == "Configuration error: ARCHIVE_EXTERNAL must be 'True' or 'False', not 'yes'."
    )
