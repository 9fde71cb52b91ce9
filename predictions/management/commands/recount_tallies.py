"""Recount the scorecard's tally from the predictions and report every bucket where the
table differs; `--fix` replaces it with the recount. The triggers keep it exact, so a
difference means a write went around them (a trigger dropped by a table rebuild, a restore
of one table without the other): the exit status is 1 then, for a monitor to notice."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from predictions.models import TallyRow
from predictions.recount import differences, rebuild


def describe(key: tuple) -> str:
    return " ".join(f"{name}={value!r}" for name, value in zip(TallyRow.KEY, key, strict=True))


def sums(values: tuple[int, ...]) -> str:
    return ", ".join(f"{name} {value}" for name, value in zip(TallyRow.SUMS, values, strict=True))


class Command(BaseCommand):
    help = "Recount the scorecard's tally from the predictions; report differences, --fix them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="Replace the tally with the recount.")

    def handle(self, *args: object, fix: bool, **options: object) -> None:
        found = differences()
        for key, held, expected in found:
            self.stdout.write(
                f"{describe(key)}: the tally holds {sums(held)}; the predictions give {sums(expected)}"
            )
        if not found:
            self.stdout.write("The tally matches the predictions.")
            return
        if fix:
            buckets = rebuild()
            self.stdout.write(f"Fixed: {len(found)} buckets differed; the tally now holds {buckets} buckets.")
            return
        raise CommandError(f"{len(found)} buckets differ from the predictions; run with --fix to recount.")
