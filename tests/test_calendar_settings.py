"""The calendars' bounds are settings read from the environment (docs/operating.md), with
the documented defaults when unset, and a value that cannot work refused at start-up."""

import subprocess
import sys
from pathlib import Path

from tests.support import clean_environ

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("CALENDAR_SITE_EVENTS", "CALENDAR_PAGE_SIZE", "CALENDAR_CACHE_BYTES")
# What predictions/calendars.py reads, printed by a process started with `env`.
SHOW = "from predictions import calendars; print(calendars.site_events(), calendars.page_size(), calendars.cache_bytes())"


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


def test_unset_the_calendars_use_the_documented_defaults():
    result = start()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["500", "500", "2000000"]


def test_the_environment_sets_each_calendar_bound():
    result = start(CALENDAR_SITE_EVENTS="7", CALENDAR_PAGE_SIZE="3", CALENDAR_CACHE_BYTES="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["7", "3", "0"]


def test_a_calendar_bound_that_cannot_work_fails_with_one_line():
    empty = start(CALENDAR_PAGE_SIZE="0")
    assert empty.returncode != 0
    assert empty.stderr.strip() == "Configuration error: CALENDAR_PAGE_SIZE must be 1 or more, not 0."
    words = start(CALENDAR_SITE_EVENTS="lots")
    assert words.returncode != 0
    assert (
        words.stderr.strip()
        == "Configuration error: CALENDAR_SITE_EVENTS must be a whole number, not 'lots'."
    )
    negative = start(CALENDAR_CACHE_BYTES="-1")
    assert negative.returncode != 0
    assert "CALENDAR_CACHE_BYTES must be 0 or more" in negative.stderr
