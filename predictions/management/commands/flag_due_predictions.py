"""Flag the predictions that came due, now, outside the schedule: the same `flag_due` the
django-q2 job runs. `--as-of` picks the day (default today, in TIME_ZONE)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from predictions.notifications import send_digest
from predictions.tasks import flag_due, flagged_message


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--as-of must be a date written YYYY-MM-DD, such as 2027-01-01; got {value!r}."
        ) from None


class Command(BaseCommand):
    help = "Flag open predictions due on or before a day (default today) as due for review."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="Flag what is due on or before this day.")
        parser.add_argument(
            "--notify",
            action="store_true",
            help="Also send the reviewers' digest now (otherwise the next scheduled run sends it).",
        )

    def handle(self, *args: object, as_of: str | None, notify: bool, **options: object) -> None:
        day = parse_day(as_of) if as_of is not None else timezone.localdate()
        self.stdout.write(flagged_message(flag_due(day), day))
        if notify:
            listed = send_digest()
            self.stdout.write(
                f"Sent the reviewers a digest listing {listed}." if listed else "No digest to send."
            )
