from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from predictions.importing import ImportProblems, import_path


class Command(BaseCommand):
    help = (
        "Import predictions from a YAML or JSON file in the project's import format, or an "
        "export of the resolution history (.csv, .jsonl) with its whole history. "
        "Validates every record first; writes nothing unless the whole file is good. "
        "Importing the same file twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: object, path: Path, **options: object) -> None:
        try:
            result = import_path(path)
        except ImportProblems as e:
            for problem in e.problems:
                self.stderr.write(problem)
            raise CommandError(f"{path}: {len(e.problems)} problem(s) found; nothing was imported.") from e
        self.stdout.write(f"Imported {path}: {result.summary()}.")
