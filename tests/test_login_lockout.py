"""Login throttling (django-axes): a user name that fails AXES_FAILURE_LIMIT times from one
address is refused, even with the right password, until the cool-off ends or an
administrator lifts the lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

LOGIN = reverse("admin:login")
ADDRESS = "203.0.113.7"


def log_in(client: Client, username: str, password: str, address: str = ADDRESS):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def fail_until_locked(client: Client, username: str, address: str = ADDRESS) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, username, "wrong guess", address)


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_the_limit_defaults_to_five_failures_and_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)


def test_the_right_password_works_after_fewer_failures_than_the_limit(client: Client, reviewer: User):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "alice", "wrong guess").status_code == 200
    assert signed_in(log_in(client, "alice", "password"))


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client: Client, reviewer: User, caplog):
    fail_until_locked(client, "alice")
    response = log_in(client, "alice", "password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in locked" in page
    assert "Too many failed sign-in attempts for “alice”" in page
    assert "axes_reset_username alice" in page
    assert "_auth_user_id" not in client.session
    assert any("alice" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_a_different_user_at_the_same_address_is_unaffected(client: Client, reviewer: User, staff: User):
    fail_until_locked(client, "alice")
    assert signed_in(log_in(client, "bob", "password"))


def test_the_same_user_from_another_address_is_unaffected(client: Client, reviewer: User):
    fail_until_locked(client, "alice")
    assert signed_in(log_in(client, "alice", "password", address="198.51.100.2"))


def test_the_lock_ends_after_the_cool_off(client: Client, reviewer: User):
    start = timezone.now()
    cool_off = settings.AXES_COOLOFF_TIME
    with time_machine.travel(start, tick=False):
        fail_until_locked(client, "alice")
    with time_machine.travel(start + cool_off + timedelta(seconds=1), tick=False):
        assert signed_in(log_in(client, "alice", "password"))


def test_an_attempt_during_the_lock_starts_the_cool_off_again(client: Client, reviewer: User):
    start = timezone.now()
    cool_off = settings.AXES_COOLOFF_TIME
    with time_machine.travel(start, tick=False):
        fail_until_locked(client, "alice")
    retried = start + cool_off - timedelta(minutes=1)
    with time_machine.travel(retried, tick=False):
        assert log_in(client, "alice", "password").status_code == 429
    # Still locked when the first cool-off would have ended (this try starts it again too).
    with time_machine.travel(start + cool_off + timedelta(seconds=1), tick=False):
        assert log_in(client, "alice", "password").status_code == 429
    retried = start + cool_off + timedelta(seconds=1)
    with time_machine.travel(retried + cool_off + timedelta(seconds=1), tick=False):
        assert signed_in(log_in(client, "alice", "password"))


def test_an_administrator_can_lift_the_lock(client: Client, reviewer: User):
    fail_until_locked(client, "alice")
    assert log_in(client, "alice", "password").status_code == 429
    call_command("axes_reset_username", "alice")
    assert signed_in(log_in(client, "alice", "password"))


@pytest.mark.parametrize("limit", [3])
def test_the_limit_comes_from_the_settings(client: Client, reviewer: User, settings, limit: int):
    settings.AXES_FAILURE_LIMIT = limit
    for _ in range(limit):
        log_in(client, "alice", "wrong guess")
    assert log_in(client, "alice", "password").status_code == 429
