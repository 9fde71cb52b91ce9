"""Bad input to ingest_summary: every file, summary or transcript, gets a clean run or one
line saying what is wrong (naming the file and, where there is one, the line), never a
traceback, and a refused file writes nothing. The inputs that were quadratic or recursive
(issue 19) are here at full size; how long they take is `bench/ingest.py`'s figure, not an
assertion (a busy machine is not a bug)."""

from __future__ import annotations

import tempfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictions.ingest import document, transcript
from predictions.ingest.document import parse, split_sentences, strip_references
from predictions.ingest.forward import is_forward
from predictions.ingest.transcript import TranscriptError, parse_transcript
from predictions.models import Candidate, Source

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

GOOD = """\
# Episode 9: Okafor, Lindqvist

A conversation with Amara Okafor (robotics lead at Fieldworks) and Henrik Lindqvist.

## Predictions

- Humanoid robots will work in warehouses by 2031

## Sources

1. [Episode 9](https://example.org/9)
"""

# Pieces of Markdown and of the summaries' own vocabulary, glued at random: headings,
# lists, quotes, lead-ins, references, names, forward wording, and the characters that
# break parsers (NUL, lone surrogates are not str-encodable so left out, RTL marks, CRs).
PIECES = st.sampled_from(
    [
        "# ", "## ", "### ", "- ", "1. ", "> ", "**", "*", "[1]", "[12]", "(", ")", ":", ", but ", "; ",
        "will ", "won't ", "by 2030 ", "before 2030 ", "in 40 years ", "eventually ", "today ",
        "Amara ", "Okafor ", "Amara's view", "Henrik disagrees", "with Amara Okafor (lead at X) ",
        "\n", "\n\n", "\r\n", "    ", "\t", "\x00", "\u200f", "```", "---", "<v Amara>", "Sources",
    ]
)  # fmt: skip
markdown = st.lists(PIECES | st.text(max_size=12), max_size=60).map("".join)
timestamps = st.sampled_from(
    ["00:00:01.000", "00:01.000", "99999999:00:00.000", "1:00:00,000", "00:00:00,500", "-1:00", "abc"]
)
cue_text = st.lists(PIECES | st.text(max_size=10), max_size=8).map("".join)


@st.composite
def transcripts(draw: st.DrawFn) -> tuple[str, str]:
    shape = draw(st.sampled_from(["vtt", "srt", "plain", "junk"]))
    cues = draw(st.lists(st.tuples(timestamps, timestamps, cue_text), max_size=6))
    if shape == "vtt":
        body = "WEBVTT\n\n" + "\n".join(f"{a} --> {b}\n{t}\n" for a, b, t in cues)
    elif shape == "srt":
        body = "\n".join(f"{n}\n{a} --> {b}\n{t}\n" for n, (a, b, t) in enumerate(cues, 1))
    elif shape == "plain":
        body = "\n".join(f"[{draw(st.sampled_from(['1', '3.5', '9' * 30, '1e9']))}s] {t}" for _, _, t in cues)
    else:
        body = draw(st.text(max_size=200))
    return body, "." + shape


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("ingest_summary", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def one_line_or_clean(path: Path, *args: str) -> None:
    before = (Source.objects.count(), Candidate.objects.count())
    try:
        run(path, *args)
    except CommandError as exc:
        message = str(exc)
        assert "\n" not in message and message
        assert (Source.objects.count(), Candidate.objects.count()) == before


@FUZZ
@given(text=markdown)
def test_random_markdown_is_ingested_or_refused_in_one_line(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.md"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        one_line_or_clean(path, "--published", "2027-03-01", "--dry-run")


@FUZZ
@given(shaped=transcripts())
def test_random_transcripts_are_matched_or_refused_in_one_line(shaped: tuple[str, str]) -> None:
    body, suffix = shaped
    with tempfile.TemporaryDirectory() as folder:
        summary = Path(folder) / "episode.md"
        summary.write_text(GOOD)
        path = Path(folder) / f"transcript{suffix}"
        path.write_text(body, encoding="utf-8", errors="surrogatepass")
        one_line_or_clean(summary, "--published", "2027-03-01", "--transcript", str(path))


@FUZZ
@given(text=markdown)
def test_random_markdown_parses_splits_and_reads_without_error(text: str) -> None:
    parsed = parse(text)
    for block in parsed.blocks:
        split_sentences(block.text)
        is_forward(block.text)


# The shapes that were quadratic (a run of spaces before a `[n]` marker, "would" after
# "would") or recursive (", but" clauses), at the sizes issue 19 measured.
def test_a_long_run_of_spaces_and_words_is_read() -> None:
    line = "a" + " " * 96_000 + "b [1]"
    assert strip_references(line) == ("a b", (1,))
    assert not is_forward("would " * 32_000)


def test_two_thousand_but_clauses_are_two_thousand_clauses_not_a_recursion_error() -> None:
    sentence = ", but ".join(f"robots will do task number {n}" for n in range(2_000))
    assert len(split_sentences(sentence)) == 2_000


def test_a_file_over_the_size_cap_is_refused_naming_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("predictions.management.commands.ingest_summary.MAX_DOCUMENT_BYTES", 1_000)
    path = tmp_path / "big.md"
    path.write_text(GOOD + "- x will happen\n" * 200)
    with pytest.raises(CommandError, match=r"big\.md: .* bytes, over the 1,000 a summary may be"):
        run(path, "--published", "2027-03-01")
    assert document.MAX_DOCUMENT_BYTES == 512_000


def test_a_nul_in_the_middle_of_a_summary_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.md"
    path.write_bytes(GOOD.encode() + b"x" * 9_000 + b"\n- it will \x00 rain\n")
    with pytest.raises(CommandError, match=r"nul\.md: line 13: a NUL character"):
        run(path, "--published", "2027-03-01")


@pytest.mark.parametrize(
    "body, suffix, message",
    [
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nrobots\x00 will\n", ".vtt", r"line 4: a NUL character"),
        (
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n99999999:00:00.000 --> 99999999:00:05.000\nlate\n",
            ".vtt",
            r"line 6: a time of 359999996400 s is past",
        ),
        ("1\n99999999999:00:00,000 --> 99999999999:00:01,000\nhi\n", ".srt", r"not valid SRT"),
        ("[" + "9" * 12 + "s] robots will work\n", ".txt", r"line 1: a time of 999999999999 s is past"),
    ],
)
def test_a_bad_transcript_is_one_line_naming_where(body: str, suffix: str, message: str) -> None:
    with pytest.raises(TranscriptError, match=message):
        parse_transcript(body, suffix)


def test_a_transcript_over_the_size_cap_is_refused_naming_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(transcript, "MAX_TRANSCRIPT_BYTES", 100)
    path = tmp_path / "long.vtt"
    path.write_text("WEBVTT\n\n" + "00:00:01.000 --> 00:00:02.000\nrobots will\n\n" * 20)
    summary = tmp_path / "episode.md"
    summary.write_text(GOOD)
    with pytest.raises(CommandError, match=r"--transcript .*long\.vtt: .* bytes, over the 100"):
        run(summary, "--published", "2027-03-01", "--transcript", str(path))
    assert Candidate.objects.count() == 0
