"""Start-up configuration errors: one clear line, a non-zero exit, no traceback."""

import subprocess
import sys
from pathlib import Path

from tests.support import clean_environ

ROOT = Path(__file__).resolve().parent.parent


def start(**env: str) -> subprocess.CompletedProcess:
    environ = clean_environ("DATABASE_URL", "SECRET_KEY", "DEBUG")
    environ.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environ, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = start(DEBUG="False")
    assert result.returncode != 0
    assert (
        result.stderr.strip() == "Configuration error: SECRET_KEY must be set when DEBUG=False (production)."
    )


def test_a_bad_database_url_fails_with_one_line():
    result = start(DATABASE_URL="mysql://nobody@nowhere/db")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Configuration error: DATABASE_URL must be a postgres:// URL; leave it unset for the embedded SQLite."
    ]
    garbled = start(DATABASE_URL="not a url")
    assert garbled.returncode != 0
    assert len(garbled.stderr.strip().splitlines()) == 1
    assert "DATABASE_URL" in garbled.stderr


def test_a_boolean_setting_accepts_only_true_or_false():
    result = start(DEBUG="yes")
    assert result.returncode != 0
    assert "DEBUG must be 'True' or 'False'" in result.stderr


def test_production_settings_pass_the_deploy_check():
    environ = clean_environ("DATABASE_URL")
    environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="False",
        SECRET_KEY="a-long-random-secret-key-for-the-deploy-check-0123456789",
        ALLOWED_HOSTS="predictions.example.org",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_a_negative_proxy_count_or_a_cache_url_that_is_not_redis_fails_with_one_line():
    proxies = start(TRUSTED_PROXY_COUNT="-1")
    assert proxies.returncode != 0
    assert proxies.stderr.strip() == "Configuration error: TRUSTED_PROXY_COUNT must be 0 or more, not -1."
    cache = start(CACHE_URL="memcached://127.0.0.1:11211")
    assert cache.returncode != 0
    assert "CACHE_URL must be a redis:// URL" in cache.stderr
