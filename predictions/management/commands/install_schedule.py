"""Install (or repair) the django-q2 schedules: the daily review, and the daily mail to
readers who follow a speaker (`predictions/following.py`); safe to rerun.

A command, not a data migration (the historical Schedule model skips the code that
computes a first next_run) and not AppConfig.ready() (no queries at start-up).
"""

from __future__ import annotations

from datetime import datetime, time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from predictions.models import FOLLOW_JOB_NAME, FOLLOW_TASK_FUNC, JOB_NAME, TASK_FUNC

# Just after midnight in TIME_ZONE, so the run's "today" is the day that just began.
RUN_AT = time(0, 5)
# The followers' mail in the morning, after the night's review and a working day's decisions.
FOLLOW_RUN_AT = time(7, 0)

SETTINGS = {
    "func": TASK_FUNC,
    "schedule_type": Schedule.DAILY,
    "minutes": None,
    "cron": None,
    "repeats": -1,
    "args": None,
    "kwargs": None,
    "hook": None,
    "cluster": None,
    "intended_date_kwarg": None,
}


def first_run(now: datetime, at: time = RUN_AT) -> datetime:
    """Today's `at`. Usually already past, so a fresh install runs at once (catching up
    whatever came due before it was installed); django-q2 then steps next_run a day at a
    time from here, which keeps later runs at that time of day."""
    return timezone.make_aware(datetime.combine(timezone.localdate(now), at))


def install_one(name: str, func: str, at: time, now: datetime) -> tuple[Schedule, bool]:
    settings = {**SETTINGS, "func": func}
    with transaction.atomic():
        # Schedule.name is not unique: a copy made by hand in the admin is folded away
        # rather than run twice a day.
        existing = list(Schedule.objects.select_for_update().filter(name=name).order_by("pk"))
        for extra in existing[1:]:
            extra.delete()
        # next_run only on creation: reinstalling must not postpone a run that is due.
        return Schedule.objects.update_or_create(
            name=name, defaults=settings, create_defaults={**settings, "next_run": first_run(now, at)}
        )


JOBS = ((JOB_NAME, TASK_FUNC, RUN_AT), (FOLLOW_JOB_NAME, FOLLOW_TASK_FUNC, FOLLOW_RUN_AT))


def install_schedule(now: datetime | None = None) -> list[tuple[Schedule, bool]]:
    """Every schedule of JOBS, the review's first: (schedule, created) for each."""
    now = now or timezone.now()
    return [install_one(name, func, at, now) for name, func, at in JOBS]


class Command(BaseCommand):
    help = f'Install or update the daily django-q2 schedules "{JOB_NAME}" and "{FOLLOW_JOB_NAME}".'

    def handle(self, *args: object, **options: object) -> None:
        for (schedule, created), (name, _, at) in zip(install_schedule(), JOBS, strict=True):
            when = timezone.localtime(schedule.next_run)
            verb = "Installed" if created else "Updated"
            self.stdout.write(
                f'{verb} the schedule "{name}": daily at {at:%H:%M} {when:%Z}, '
                f"next run {when:%Y-%m-%d %H:%M %Z} (at once if that is past and the cluster is running)."
            )
