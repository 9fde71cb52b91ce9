"""Propose candidate predictions from an episode summary (Markdown) for review in the admin."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from predictions.ingest.document import MAX_DOCUMENT_BYTES, Document, parse
from predictions.ingest.people import Person
from predictions.ingest.propose import (
    MAX_PROPOSALS,
    Proposal,
    main_reference,
    match_transcript,
    new_source,
    people,
    people_of,
    propose,
    store,
)
from predictions.ingest.transcript import TranscriptError, read_transcript
from predictions.models import QUOTE_MAX, Source

# Binary files show NUL bytes early; text never has them.
SNIFF_BYTES = 8192


def read_document(path: Path) -> str:
    """The file's text, or a CommandError saying why it cannot be a summary."""
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise CommandError(
                f"{path}: {size:,} bytes, over the {MAX_DOCUMENT_BYTES:,} a summary may be; nothing was written."
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc
    if b"\x00" in raw[:SNIFF_BYTES]:
        raise CommandError(f"{path}: this is a binary file, not a Markdown summary; nothing was written.")
    if (nul := raw.find(b"\x00")) >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise CommandError(f"{path}: line {line}: a NUL character, which no text has; nothing was written.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path}: not valid UTF-8 (byte {exc.start} cannot be decoded); nothing was written."
        ) from exc


def date_option(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--published: {value!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = (
        "Read an episode summary (Markdown: sections, bullets, [n] references, a Sources list) "
        "and propose its forward-looking claims as candidates for review in the admin. "
        "Ingesting the same file again proposes nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the summary, Markdown")
        parser.add_argument("--source-url", help="the episode's URL (else the Sources list's entry)")
        parser.add_argument("--published", help="the episode's date, YYYY-MM-DD (needed for a new source)")
        parser.add_argument("--transcript", type=Path, help="WebVTT, SRT or '[seconds] text' lines")
        parser.add_argument("--dry-run", action="store_true", help="print the candidates; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        published = date_option(options["published"]) if options["published"] else None
        document = parse(read_document(path))
        self.report_found(path, document)
        source = self.source(document, options["source_url"], published)
        stored = people()
        everyone = people_of(document, stored)
        self.report_people(everyone)
        proposals = propose(document, source.published_on, stored)
        if not proposals:
            raise CommandError("No forward-looking sentence or bullet found: nothing to propose.")
        if len(proposals) > MAX_PROPOSALS:
            raise CommandError(
                f"{path}: {len(proposals):,} forward-looking sentences, over the {MAX_PROPOSALS:,} an episode "
                "summary has; nothing was written."
            )
        if options["transcript"]:
            try:
                cues = read_transcript(options["transcript"])
            except TranscriptError as exc:
                raise CommandError(f"--transcript {exc}; nothing was written.") from exc
            proposals = match_transcript(proposals, cues, everyone)
            missing = sum(1 for p in proposals if not p.passage)
            self.stdout.write(f"Transcript: {len(cues)} cues; passage not found for {missing} candidates.")
        if options["dry_run"]:
            self.print_table(proposals)
            self.stdout.write(f"{len(proposals)} candidates (dry run: nothing was written).")
            return
        result = store(source, proposals, with_transcript=bool(options["transcript"]))
        self.stdout.write(
            self.style.SUCCESS(
                f'{result.created} new candidates for "{source.title}"; {result.unchanged} already '
                f"proposed, {result.updated} given a transcript passage, {result.decided} already decided."
            )
        )
        if result.too_long:
            lines = ", ".join(str(n) for n in result.too_long)
            self.stdout.write(
                self.style.WARNING(
                    f"Not proposed, over {QUOTE_MAX:,} characters (a prediction's quote): line {lines}."
                )
            )

    def report_people(self, everyone: list[Person]) -> None:
        named = [p for p in everyone if p.found]
        if named:
            listed = "; ".join(
                f"{p.name} ({'stored' if p.pk else 'new'}, {p.found}{', ' + p.description if p.description else ''})"
                for p in named
            )
            self.stdout.write(f"People in the document: {listed}.")

    def report_found(self, path: Path, document: Document) -> None:
        found = [
            f"title: {document.title or '(none)'}",
            f"{len(document.headings)} headings",
            f"{len(document.blocks)} paragraphs, bullets and quotes",
            f"{len(document.sources)} entries in the Sources list",
        ]
        self.stdout.write(f"{path}: " + "; ".join(found) + ".")
        if not document.headings:
            raise CommandError(
                f"{path}: no headings found, so this is not a summary of the expected shape "
                "(## sections, bullet lists, a Sources list); nothing was written."
            )

    def source(self, document: Document, url: str | None, published: date | None) -> Source:
        """The Source the candidates belong to (unsaved when it is new)."""
        if url:
            title = document.title
        else:
            ref = main_reference(document)
            if ref is None:
                missing = "no Sources list" if not document.has_sources_section else "an empty Sources list"
                raise CommandError(
                    f"The document has {missing}, so it does not say which episode the claims come "
                    "from: give --source-url (and --published). Nothing was written."
                )
            title, url = document.sources[ref].title or document.title, document.sources[ref].url
        existing = Source.objects.filter(url=url).order_by("pk").first() if url else None
        if existing is not None:
            if published and published != existing.published_on:
                self.stderr.write(
                    f'Note: "{existing.title}" is already recorded as published on '
                    f"{existing.published_on}; that date is used, not {published}."
                )
            return existing
        if published is None:
            raise CommandError(
                f"The source {url or title!r} is not in the database yet and the document gives no "
                "date: give --published YYYY-MM-DD. Nothing was written."
            )
        return new_source(title or url, url, published)

    def print_table(self, proposals: list[Proposal]) -> None:
        rows = [("line", "horizon", "as said", "due on", "speaker", "at (s)", "text")]
        for p in proposals:
            rows.append(
                (
                    str(p.line),
                    p.reading.horizon,
                    p.reading.as_said,
                    p.reading.due_on.isoformat(),
                    _speaker(p.person, p.attribution),
                    "" if p.source_timestamp is None else str(p.source_timestamp),
                    p.text if len(p.text) <= 70 else p.text[:69] + "…",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
            )


def _speaker(person: Person | None, attribution: str) -> str:
    return f"{person.name} ({attribution})" if person else "—"
