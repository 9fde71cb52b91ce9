"""manage.py ingest_summary: idempotent, a dry run writes nothing, bad input is a clear
report and writes nothing."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from predictions.models import Candidate, Source

SUMMARY = """\
# Episode 7: Chen, Okafor

## Predictions

**Robots** [1]:
- Humanoid robots will work in warehouses by 2029
- Home robots will be common in 2035

## Sources

1. [Robots Everywhere, episode 7](https://example.org/7)
"""


def ingest(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("ingest_summary", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def summary(tmp_path: Path) -> Path:
    path = tmp_path / "episode-7.md"
    path.write_text(SUMMARY)
    return path


@pytest.mark.django_db
def test_it_creates_the_source_from_the_sources_list_and_the_given_date(summary: Path) -> None:
    ingest(summary, "--published", "2027-02-01")
    source = Source.objects.get()
    assert (source.title, source.url, str(source.published_on)) == (
        "Robots Everywhere, episode 7",
        "https://example.org/7",
        "2027-02-01",
    )
    assert Candidate.objects.filter(source=source).count() == 2


@pytest.mark.django_db
def test_ingesting_the_same_file_twice_proposes_nothing_new(summary: Path) -> None:
    ingest(summary, "--published", "2027-02-01")
    out = ingest(summary, "--published", "2027-02-01")
    assert Candidate.objects.count() == 2
    assert "0 new candidates" in out and "2 already proposed" in out


@pytest.mark.django_db
def test_an_edited_bullet_proposes_exactly_one_new_candidate(summary: Path) -> None:
    ingest(summary, "--published", "2027-02-01")
    summary.write_text(SUMMARY.replace("common in 2035", "common in 2036"))
    ingest(summary)  # the source is known now: no date needed
    assert Candidate.objects.count() == 3
    assert Candidate.objects.filter(text="Home robots will be common in 2036").count() == 1


@pytest.mark.django_db
def test_a_dry_run_prints_a_table_and_writes_nothing(summary: Path) -> None:
    out = ingest(summary, "--published", "2027-02-01", "--dry-run")
    assert "horizon" in out and "Humanoid robots will work in warehouses by 2029" in out
    assert "2029-12-31" in out
    assert Source.objects.count() == 0 and Candidate.objects.count() == 0


@pytest.mark.django_db
def test_source_url_names_the_source_when_the_document_has_no_sources_list(tmp_path: Path) -> None:
    path = tmp_path / "no-sources.md"
    path.write_text(SUMMARY.split("## Sources")[0])
    ingest(path, "--source-url", "https://example.org/other", "--published", "2027-02-01")
    assert Source.objects.get().title == "Episode 7: Chen, Okafor"


@pytest.mark.django_db
def test_a_transcript_given_later_fills_in_the_passages_of_proposed_candidates(
    summary: Path, tmp_path: Path
) -> None:
    ingest(summary, "--published", "2027-02-01")
    vtt = tmp_path / "episode.vtt"
    vtt.write_text(
        "WEBVTT\n\n00:10:00.000 --> 00:10:05.000\nHumanoid robots will be working in warehouses by 2029.\n"
    )
    ingest(summary, "--transcript", str(vtt))
    humanoid = Candidate.objects.get(text__startswith="Humanoid")
    assert (humanoid.source_timestamp, Candidate.objects.count()) == (600, 2)
    assert Candidate.objects.get(text__startswith="Home").passage_not_found


@pytest.mark.parametrize(
    "content, args, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", (), "binary file"),
        (b"# Title\n\n## Section\n\ncaf\xe9 will open\n", (), r"not valid UTF-8 \(byte 24 "),
        (b"Just a note that things will change.\n", (), "no headings found"),
        (SUMMARY.split("## Sources")[0].encode(), ("--published", "2027-02-01"), "no Sources list"),
        (SUMMARY.encode(), (), "give --published"),
        (SUMMARY.encode(), ("--published", "1 Feb"), "is not a date"),
        (
            b"# Title\n\n## Section\n\nAll is well today.\n\n## Sources\n\n1. [x](https://example.org/x)\n",
            ("--published", "2027-02-01"),
            "No forward-looking",
        ),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_reported_and_writes_nothing(
    tmp_path: Path, content: bytes, args: tuple, message: str
) -> None:
    path = tmp_path / "input.md"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        ingest(path, *args)
    assert Source.objects.count() == 0 and Candidate.objects.count() == 0


@pytest.mark.django_db
def test_an_unreadable_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read the file"):
        ingest(tmp_path / "missing.md")


@pytest.mark.django_db
def test_an_unreadable_transcript_is_reported_and_writes_nothing(summary: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("no times here\n")
    with pytest.raises(CommandError, match="no timed lines"):
        ingest(summary, "--published", "2027-02-01", "--transcript", str(notes))
    assert Candidate.objects.count() == 0


def test_the_command_exits_non_zero_without_a_traceback(summary: Path) -> None:
    import subprocess
    import sys

    summary.write_bytes(b"\x00\x01binary")
    done = subprocess.run(
        [sys.executable, "manage.py", "ingest_summary", str(summary)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode != 0
    assert "binary file" in done.stderr and "Traceback" not in done.stderr
