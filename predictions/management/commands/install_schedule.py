"""Install (or repair) the django-q2 schedule that runs the daily review; safe to rerun.

A command, not a data migration (the historical Schedule model skips the code that
computes a first next_run) and not AppConfig.ready() (no queries at start-up).
"""

from __future__ import annotations

from datetime import datetime, time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from predictions.models import JOB_NAME, TASK_FUNC

# Just after midnight in TIME_ZONE, so the run's "today" is the day that just began.
RUN_AT = time(0, 5)

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


def first_run(now: datetime) -> datetime:
    """Today's RUN_AT. Usually already past, so a fresh install runs at once (catching up
    whatever came due before it was installed); django-q2 then steps next_run a day at a
    time from here, which keeps later runs at RUN_AT."""
    return timezone.make_aware(datetime.combine(timezone.localdate(now), RUN_AT))


def install_schedule(now: datetime | None = None) -> tuple[Schedule, bool]:
    now = now or timezone.now()
    with transaction.atomic():
        # Schedule.name is not unique: a copy made by hand in the admin is folded away
        # rather than run twice a day.
        existing = list(Schedule.objects.select_for_update().filter(name=JOB_NAME).order_by("pk"))
        for extra in existing[1:]:
            extra.delete()
        # next_run only on creation: reinstalling must not postpone a run that is due.
        return Schedule.objects.update_or_create(
            name=JOB_NAME, defaults=SETTINGS, create_defaults={**SETTINGS, "next_run": first_run(now)}
        )


class Command(BaseCommand):
    help = f'Install or update the daily django-q2 schedule "{JOB_NAME}".'

    def handle(self, *args: object, **options: object) -> None:
        schedule, created = install_schedule()
        when = timezone.localtime(schedule.next_run)
        verb = "Installed" if created else "Updated"
        self.stdout.write(
            f'{verb} the schedule "{JOB_NAME}": daily at {RUN_AT:%H:%M} {when:%Z}, '
            f"next run {when:%Y-%m-%d %H:%M %Z} (at once if that is past and the cluster is running)."
        )
