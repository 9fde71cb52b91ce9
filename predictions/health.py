"""Is the scheduler keeping up? The admin warns when the daily job is late.

Late means: no success for more than JOB_LATE_AFTER (26 hours: a day plus two hours of
slack). A fresh install has no success yet; it is late only once its first run was due
(the schedule's next_run, or the first attempt JobRun recorded) plus the same slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django_q.models import Schedule

from .models import JOB_LATE_AFTER, JOB_NAME, JobRun

# The slack a daily job gets after the time it should have run.
SLACK = JOB_LATE_AFTER - timedelta(days=1)


@dataclass(frozen=True)
class SchedulerHealth:
    late: bool
    # When the job became (or becomes) late; None when it was never installed nor run.
    late_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str = ""

    # How long a daily job may go without success, for the warning's wording.
    late_after_hours = int(JOB_LATE_AFTER.total_seconds() // 3600)

    @property
    def never_succeeded(self) -> bool:
        return self.last_success_at is None


def scheduler_health(now: datetime | None = None) -> SchedulerHealth:
    now = now or timezone.now()
    run = JobRun.objects.filter(name=JOB_NAME).first()
    if run is not None and run.last_success_at is not None:
        late_at = run.last_success_at + JOB_LATE_AFTER
    else:
        # Never succeeded: count from when the first run was due. After a failed first run
        # the schedule's next_run has moved on to tomorrow, so the attempt counts too.
        schedule = Schedule.objects.filter(name=JOB_NAME).order_by("pk").first()
        due = [
            t
            for t in (run and run.last_started_at, schedule and schedule.next_run)
            if isinstance(t, datetime)
        ]
        if not due:
            # Not installed and never run (a test database, a bare `migrate`): nothing was due.
            return SchedulerHealth(late=False)
        late_at = min(due) + SLACK
    error = ""
    if run is not None and run.last_error_at is not None:
        if run.last_success_at is None or run.last_error_at > run.last_success_at:
            error = run.last_error
    return SchedulerHealth(
        late=now > late_at,
        late_at=late_at,
        last_success_at=run.last_success_at if run else None,
        last_error=error,
    )


# The cluster's scheduler looks for due schedules every 30 seconds; a run due for longer
# than this was not picked up, so no cluster is running (or it is stuck).
PICKUP_GRACE = timedelta(minutes=10)


def cluster_missed_run(now: datetime | None = None) -> datetime | None:
    """When the daily run was due, if no cluster picked it up within PICKUP_GRACE; else None.

    The cluster's heartbeat as this deployment can see it: django-q2 keeps its own cluster
    statistics in the Django cache, which is per process here, so the web server cannot read
    them. A running cluster moves the schedule's next_run on as soon as it is due; one that
    stays in the past means nobody is running it. This notices a stopped cluster at the next
    due run (00:05), not between runs; `late` above catches a cluster that runs but fails.
    """
    now = now or timezone.now()
    schedule = Schedule.objects.filter(name=JOB_NAME).order_by("pk").only("next_run").first()
    if schedule is None or schedule.next_run is None:
        return None
    return schedule.next_run if now > schedule.next_run + PICKUP_GRACE else None
