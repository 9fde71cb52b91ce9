import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from predictions.export_schema import export_json_schema
from predictions.export_stream import stream_export
from predictions.exporting import FORMATS, count_rows
from predictions.filtering import FilterError, Filters, parse
from predictions.models import UNATTRIBUTED


class Command(BaseCommand):
    help = (
        "Export the resolution history (one row per event, oldest first, plus one row per "
        "prediction without history) as CSV or JSON Lines, to a file or standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=FORMATS, help="csv or jsonl (required unless --schema)")
        parser.add_argument("--output", type=Path, help="write to this file instead of standard output")
        parser.add_argument("--since", help="events on or after this date (YYYY-MM-DD)")
        parser.add_argument("--until", help="events on or before this date (YYYY-MM-DD)")
        parser.add_argument("--speaker", help=f"a speaker's slug, or {UNATTRIBUTED!r}")
        parser.add_argument("--source", help="a source's slug")
        parser.add_argument("--topic", help="a topic's slug")
        parser.add_argument("--horizon", help="near, medium or long")
        parser.add_argument(
            "--public", action="store_true", help='as the public download: reviewers shown as "reviewer"'
        )
        parser.add_argument("--schema", action="store_true", help="print the rows' JSON Schema and stop")

    def handle(self, *args: object, **options: object) -> None:
        if options["schema"]:
            self.stdout.write(json.dumps(export_json_schema(), indent=2))
            return
        fmt = options["format"]
        if fmt is None:
            raise CommandError("--format: give csv or jsonl (or --schema for the row format).")
        try:
            filters = parse(
                {name: options[name] for name in ("since", "until", "speaker", "source", "topic", "horizon")}
            )
        except FilterError as e:
            raise CommandError(str(e)) from e
        output: Path | None = options["output"]
        if output is None:
            for chunk in stream_export(fmt, filters, public=bool(options["public"])):
                self.stdout.write(chunk, ending="")
            return
        written = write_file(output, fmt, filters, public=bool(options["public"]))
        self.stderr.write(f"Wrote {written} row(s) to {output}.")


def write_file(output: Path, fmt: str, filters: Filters, *, public: bool) -> int:
    """Write the export to `output`; how many rows. A progress bar only for a person
    watching: never in a pipe, a log or cron mail."""
    try:
        handle = output.open("w", encoding="utf-8", newline="")
    except OSError as e:
        raise CommandError(f"--output: cannot write {output} ({e.strerror}).") from e
    bar = tqdm(total=count_rows(filters), unit="row", desc="export") if sys.stderr.isatty() else None
    written = 0

    def count(n: int) -> None:
        nonlocal written
        written += n
        if bar is not None:
            bar.update(n)

    with handle:
        try:
            for chunk in stream_export(fmt, filters, public=public, on_rows=count):
                handle.write(chunk)
        finally:
            if bar is not None:
                bar.close()
    return written
