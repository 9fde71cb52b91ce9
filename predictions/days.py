"""Days as the service counts them: in settings.TIME_ZONE."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone


def start_of(day: date) -> datetime:
    """The first instant of `day` in the service's time zone (aware)."""
    return timezone.make_aware(datetime.combine(day, time.min))
