"""The django-q2 schedule: installed idempotently, run by django-q2's own scheduler code, and
watched: the admin warns when the daily job is late."""

from __future__ import annotations

import pydoc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django_q.conf import Conf
from django_q.models import Schedule, Success
from django_q.scheduler import scheduler
from django_q.tasks import async_task, result

from predictions.context_processors import scheduler as scheduler_context
from predictions.health import scheduler_health
from predictions.models import JOB_NAME, Event, EventKind, Horizon, JobRun, Prediction, Status
from predictions.tasks import run_scheduled_review

pytestmark = pytest.mark.django_db

MakePrediction = Callable[..., Prediction]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def the_schedule() -> Schedule:
    return Schedule.objects.get(name=JOB_NAME)


def test_installing_twice_leaves_one_daily_schedule_running_the_job(time_machine, capsys) -> None:
    time_machine.move_to(at(2026, 11, 28, 10, 0), tick=False)
    call_command("install_schedule")
    call_command("install_schedule")

    schedule = the_schedule()  # .get(): exactly one
    assert schedule.func == "predictions.tasks.run_scheduled_review"
    # The cluster's worker resolves the name the same way.
    assert pydoc.locate(schedule.func) is run_scheduled_review
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats == -1
    # Today's 00:05 is past: a fresh install runs at once, then daily at 00:05.
    assert schedule.next_run == at(2026, 11, 28, 0, 5)
    out = capsys.readouterr().out.splitlines()
    review = (
        'the schedule "flag due predictions": daily at 00:05 UTC, next run 2026-11-28 00:05 UTC '
        "(at once if that is past and the cluster is running)."
    )
    # The followers' mail: today's 07:00, past at 10:00, so at once too.
    follow = (
        'the schedule "mail followers": daily at 07:00 UTC, next run 2026-11-28 07:00 UTC '
        "(at once if that is past and the cluster is running)."
    )
    assert out == [f"Installed {review}", f"Installed {follow}", f"Updated {review}", f"Updated {follow}"]
    assert Schedule.objects.get(name="mail followers").func == "predictions.following.send_follow_mail"
    assert pydoc.locate("predictions.following.send_follow_mail") is not None


def test_reinstalling_repairs_the_schedule_without_postponing_its_next_run(time_machine) -> None:
    time_machine.move_to(at(2026, 11, 28, 10, 0), tick=False)
    call_command("install_schedule")
    Schedule.objects.filter(name=JOB_NAME).update(
        func="predictions.tasks.gone", schedule_type=Schedule.HOURLY, next_run=at(2026, 11, 29, 0, 5)
    )
    Schedule.objects.create(name=JOB_NAME, func="predictions.tasks.run_scheduled_review")  # a hand-made copy

    time_machine.move_to(at(2026, 11, 28, 22, 0), tick=False)
    call_command("install_schedule")

    schedule = the_schedule()
    assert (schedule.func, schedule.schedule_type) == (
        "predictions.tasks.run_scheduled_review",
        Schedule.DAILY,
    )
    assert schedule.next_run == at(2026, 11, 29, 0, 5)


def test_django_q2_runs_the_installed_schedule_and_the_job_flags_the_seed(
    seeded, reviewer, time_machine
) -> None:
    time_machine.move_to(at(2027, 1, 1, 10, 0), tick=False)
    call_command("install_schedule")

    scheduler()  # django-q2's own scheduler pass; tests run tasks in sync mode

    near = set(Prediction.objects.filter(horizon=Horizon.NEAR).values_list("pk", flat=True))
    assert set(Prediction.objects.due_for_review().values_list("pk", flat=True)) == near
    assert Event.objects.filter(kind=EventKind.FLAGGED).count() == 14
    [task] = Success.objects.filter(group=JOB_NAME)
    assert task.func == "predictions.tasks.run_scheduled_review"
    assert task.result == (
        "Flagged 14 predictions as due for review (as of 2027-01-01). Digest listed 14, reminder listed 0."
    )
    run = JobRun.objects.get(name=JOB_NAME)
    assert run.last_started_at == run.last_success_at == at(2027, 1, 1, 10, 0)
    assert the_schedule().next_run == at(2027, 1, 2, 0, 5)

    scheduler()  # not due again until tomorrow
    assert Success.objects.filter(group=JOB_NAME).count() == 1


def test_a_cluster_down_for_a_week_runs_the_job_once_when_back_and_catches_up(
    make_prediction: MakePrediction, time_machine
) -> None:
    for day in (2, 4, 7):
        make_prediction(key=f"jan-{day}", due_on=date(2027, 1, day))
    make_prediction(key="jan-9", due_on=date(2027, 1, 9))
    time_machine.move_to(at(2027, 1, 1, 0, 1), tick=False)
    call_command("install_schedule")  # next run 2027-01-01 00:05; the cluster is down

    time_machine.move_to(at(2027, 1, 8, 9, 30), tick=False)
    scheduler()

    assert Success.objects.filter(group=JOB_NAME).count() == 1  # catch_up=False: once, not 8 times
    due = set(Prediction.objects.filter(status=Status.DUE).values_list("key", flat=True))
    assert due == {"jan-2", "jan-4", "jan-7"}
    assert the_schedule().next_run == at(2027, 1, 9, 0, 5)


def test_the_job_runs_as_a_django_q2_task(make_prediction: MakePrediction, time_machine) -> None:
    time_machine.move_to(at(2027, 1, 1, 0, 5), tick=False)
    p = make_prediction(due_on=date(2026, 12, 31))
    task_id = async_task("predictions.tasks.run_scheduled_review")
    assert result(task_id) == (
        "Flagged 1 prediction as due for review (as of 2027-01-01). Digest listed 0, reminder listed 0."
    )
    p.refresh_from_db()
    assert p.status == Status.DUE


def test_django_q2_gives_up_on_a_task_instead_of_retrying_forever() -> None:
    assert Conf.TIMEOUT < Conf.RETRY  # else a slow run is delivered again while running
    assert Conf.MAX_ATTEMPTS == 3
    assert Conf.CATCH_UP is False


# Health: the admin's "scheduler late" warning.


def last_success(when: datetime) -> None:
    JobRun.objects.create(name=JOB_NAME, last_started_at=when, last_success_at=when)


def test_nothing_installed_and_nothing_run_is_not_late() -> None:
    assert scheduler_health(at(2027, 1, 1)).late is False


def test_a_fresh_install_is_not_late_until_its_first_run_was_due(time_machine) -> None:
    time_machine.move_to(at(2026, 11, 28, 0, 1), tick=False)
    call_command("install_schedule")  # first run due at 00:05; the cluster never runs it
    assert the_schedule().next_run == at(2026, 11, 28, 0, 5)
    assert scheduler_health(at(2026, 11, 28, 0, 4)).late is False
    # Two hours' slack after it was due, as the 26 hours give a daily job.
    assert scheduler_health(at(2026, 11, 28, 2, 5)).late is False
    health = scheduler_health(at(2026, 11, 28, 2, 6))
    assert health.late is True
    assert health.never_succeeded is True


def test_a_failed_first_run_counts_from_when_it_was_attempted() -> None:
    # The failed attempt moved next_run on to tomorrow; lateness counts from the attempt.
    Schedule.objects.create(
        name=JOB_NAME, func="predictions.tasks.run_scheduled_review", next_run=at(2027, 1, 2, 0, 5)
    )
    JobRun.objects.create(
        name=JOB_NAME,
        last_started_at=at(2027, 1, 1, 0, 5),
        last_error_at=at(2027, 1, 1, 0, 5),
        last_error="boom",
    )
    health = scheduler_health(at(2027, 1, 1, 2, 6))
    assert health.late is True
    assert health.last_error == "boom"


@pytest.mark.parametrize(("hours", "late"), [(25, False), (26, False), (26.01, True), (72, True)])
def test_it_is_late_when_it_has_not_succeeded_for_more_than_26_hours(hours: float, late: bool) -> None:
    last_success(at(2027, 1, 1, 0, 5))
    now = at(2027, 1, 1, 0, 5) + timedelta(hours=hours)
    assert scheduler_health(now).late is late


def test_an_error_since_the_last_success_is_reported_and_an_older_one_is_not() -> None:
    JobRun.objects.create(
        name=JOB_NAME,
        last_success_at=at(2027, 1, 2, 0, 5),
        last_error_at=at(2027, 1, 1, 0, 5),
        last_error="old trouble",
    )
    assert scheduler_health(at(2027, 1, 5)).last_error == ""
    JobRun.objects.filter(name=JOB_NAME).update(last_error_at=at(2027, 1, 3, 0, 5), last_error="SMTP down")
    assert scheduler_health(at(2027, 1, 5)).last_error == "SMTP down"


def test_the_admin_warns_reviewers_when_the_job_is_late(client, reviewer, time_machine) -> None:
    time_machine.move_to(at(2027, 1, 3, 12, 0), tick=False)
    JobRun.objects.create(
        name=JOB_NAME,
        last_success_at=at(2027, 1, 1, 0, 5),
        last_error_at=at(2027, 1, 2, 0, 5),
        last_error="flagging: OperationalError('database is locked')",
    )
    client.force_login(reviewer)

    page = client.get("/admin/").content.decode()

    assert 'id="scheduler-late"' in page
    assert "has not succeeded since\n          2027-01-01 00:05 UTC (more than 26 hours ago)" in page
    assert "Last error: flagging: OperationalError(&#x27;database is locked&#x27;)" in page
    # The admin's own page still renders around it.
    assert 'id="review-waiting"' in page


def test_the_admin_shows_no_warning_when_the_job_is_on_time(client, reviewer, time_machine) -> None:
    time_machine.move_to(at(2027, 1, 3, 12, 0), tick=False)
    last_success(at(2027, 1, 3, 0, 5))
    client.force_login(reviewer)
    page = client.get("/admin/").content.decode()
    assert 'id="review-waiting"' in page
    assert "scheduler-late" not in page


def test_the_login_page_does_not_tell_visitors_about_the_scheduler(client, time_machine) -> None:
    time_machine.move_to(at(2027, 1, 3, 12, 0), tick=False)
    last_success(at(2027, 1, 1, 0, 5))
    page = client.get("/admin/login/").content.decode()
    assert "Log in" in page
    assert "scheduler-late" not in page


def test_the_health_check_costs_no_query_on_pages_that_do_not_show_it(django_assert_num_queries) -> None:
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        context = scheduler_context(request)
    with django_assert_num_queries(2):  # the JobRun row and the Schedule
        assert context["scheduler_health"].late is False
