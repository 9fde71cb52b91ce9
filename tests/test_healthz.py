"""/healthz: public, cheap, no session; 200 when the database answers and the daily job is
on time and being picked up, 503 naming what is wrong otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client
from django_q.models import Schedule

from predictions.models import JOB_NAME, JobRun

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def now(time_machine) -> datetime:
    time_machine.move_to(NOW, tick=False)
    return NOW


def installed_and_ran(at: datetime) -> None:
    """The schedule installed and a cluster running it: its next run is tomorrow 00:05; the
    job last succeeded `at`."""
    call_command("install_schedule")
    tomorrow = NOW.replace(hour=0, minute=5) + timedelta(days=1)
    Schedule.objects.filter(name=JOB_NAME).update(next_run=tomorrow)
    JobRun.objects.create(name=JOB_NAME, last_started_at=at, last_success_at=at)


def test_it_answers_ok_when_the_database_answers_and_the_job_is_on_time(client: Client, now) -> None:
    installed_and_ran(now - timedelta(hours=12))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "scheduler": "ok"}


def test_a_fresh_database_with_nothing_installed_is_healthy(client: Client, now) -> None:
    assert client.get("/healthz").json() == {"database": "ok", "scheduler": "ok"}


def test_it_is_public_sets_no_cookie_and_costs_three_queries_at_most(
    client: Client, now, django_assert_max_num_queries
) -> None:
    installed_and_ran(now - timedelta(hours=1))
    with django_assert_max_num_queries(3):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert "no-cache" in response["Cache-Control"]


def test_a_job_that_has_not_succeeded_for_26_hours_is_a_503(client: Client, now) -> None:
    installed_and_ran(now - timedelta(hours=27))
    JobRun.objects.filter(name=JOB_NAME).update(
        last_error_at=now - timedelta(hours=3), last_error="SMTP down"
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["scheduler"] == "late: last success 2027-03-09T09:00:00+00:00; last error: SMTP down"


def test_a_run_nobody_picked_up_means_no_cluster_is_running(client: Client, now) -> None:
    installed_and_ran(now - timedelta(hours=12))
    Schedule.objects.filter(name=JOB_NAME).update(next_run=now - timedelta(minutes=11))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["scheduler"] == (
        "no cluster running: the run due at 2027-03-10T11:49:00+00:00 was not picked up"
    )


def test_a_run_due_a_few_minutes_ago_is_not_yet_a_missing_cluster(client: Client, now) -> None:
    installed_and_ran(now - timedelta(hours=12))
    Schedule.objects.filter(name=JOB_NAME).update(next_run=now - timedelta(minutes=9))
    assert client.get("/healthz").status_code == 200


def test_an_unreachable_database_is_a_503_that_says_so(client: Client, monkeypatch) -> None:
    def refuse() -> None:
        raise OperationalError('connection failed: connection to server at "10.0.0.9", port 5432 failed')

    monkeypatch.setattr("predictions.healthz.ping", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "unreachable", "scheduler": "unknown: the database is unreachable"}
    assert "10.0.0.9" not in response.content.decode()  # the address goes to the log only


def test_it_answers_get_and_head_only(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200
