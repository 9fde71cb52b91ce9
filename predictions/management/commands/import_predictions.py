from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from predictions import races
from predictions.importing import ImportProblems, import_path


class Command(BaseCommand):
    help = (
        "Import predictions from a YAML or JSON file in the project's import format, or an "
        "export of the resolution history (.csv, .jsonl) with its whole history. "
        "Validates every record first; writes nothing unless the whole file is good. "
        "Importing the same file twice changes nothing; a change to an existing prediction "
        'is written to its history (by "import") and listed.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--missing-only",
            action="store_true",
            help=(
                "Add only the speakers, sources, predictions and stances the database lacks; "
                "never change one that exists (what `make setup` seeds with, so people's "
                "edits survive every start)."
            ),
        )

    def handle(self, *args: object, path: Path, missing_only: bool, **options: object) -> None:
        try:
            # One transaction: run again whole after a lost race with another writer.
            result = races.retried(lambda: import_path(path, missing_only=missing_only))
        except races.LostRace as e:
            raise CommandError(f"{path}: {e}") from e
        except ImportProblems as e:
            for problem in e.problems:
                self.stderr.write(problem)
            raise CommandError(f"{path}: {len(e.problems)} problem(s) found; nothing was imported.") from e
        self.stdout.write(f"Imported {path}: {result.summary()}.")
        if result.edited:
            self.stdout.write(
                f"Changed {len(result.edited)} existing prediction(s), each with a history row by "
                f"“import” saying what it was:"
            )
            for line in result.edited:
                self.stdout.write(f"  {line}")
