"""Each candidate's passage in a transcript: WebVTT with and without voice labels, SRT, and
plain `[seconds] text` lines, matched fuzzily because summaries paraphrase."""

from __future__ import annotations

from datetime import date

import pytest

from predictions.ingest.document import parse
from predictions.ingest.forward import Person
from predictions.ingest.propose import match_transcript, propose
from predictions.ingest.transcript import TranscriptError, best_passage, parse_transcript
from predictions.models import Attribution

SUMMARY = """\
# Episode 7

## Predictions

- Humanoid robots will work in warehouses by 2029
- Physical goods will carry a premium because of AI slop

## Sources

1. [Episode 7](https://example.org/7)
"""
PEOPLE = [Person(1, "Mei Chen"), Person(2, "Daniel Okafor")]

VTT_LABELLED = """WEBVTT

00:00:05.000 --> 00:00:09.000
<v Host>Welcome back to the show, today we talk about robots.

00:12:30.500 --> 00:12:36.000
<v Mei Chen>I really think humanoid robots are going to be working in warehouses by 2029.

00:12:36.000 --> 00:12:40.000
<v Daniel Okafor>Maybe, but the grippers are slow.
"""

VTT_UNLABELLED = (
    VTT_LABELLED.replace("<v Mei Chen>", "").replace("<v Daniel Okafor>", "").replace("<v Host>", "")
)

SRT = """1
00:00:05,000 --> 00:00:09,000
Welcome back to the show, today we talk about robots.

2
00:12:30,500 --> 00:12:36,000
Daniel Okafor: humanoid robots will be working in warehouses by 2029, I am sure.
"""

PLAIN = """**[5.0s] English:** Welcome back to the show, today we talk about robots.
**[750.5s] English:** I really think humanoid robots are going to be working in warehouses by 2029.
**[760.0s] English:** Something else entirely about the weather.
"""


def matched(transcript: str, suffix: str = "") -> dict[str, object]:
    proposals = propose(parse(SUMMARY), date(2027, 1, 1), PEOPLE)
    cues = parse_transcript(transcript, suffix)
    return {p.text.split()[0]: p for p in match_transcript(proposals, cues, PEOPLE)}


def test_a_labelled_webvtt_gives_the_timestamp_and_the_speaker() -> None:
    humanoid = matched(VTT_LABELLED)["Humanoid"]
    assert humanoid.source_timestamp == 750
    assert humanoid.person.name == "Mei Chen"
    assert humanoid.attribution == Attribution.TRANSCRIPT
    assert "Mei Chen: I really think humanoid robots" in humanoid.passage


def test_an_unlabelled_webvtt_gives_the_passage_and_leaves_the_speaker_to_the_reviewer() -> None:
    humanoid = matched(VTT_UNLABELLED)["Humanoid"]
    assert humanoid.source_timestamp == 750
    assert humanoid.person is None
    assert humanoid.attribution == Attribution.UNATTRIBUTED
    assert humanoid.passage.startswith("I really think humanoid robots")


def test_an_srt_with_a_name_before_the_text_gives_the_speaker() -> None:
    humanoid = matched(SRT, ".srt")["Humanoid"]
    assert humanoid.source_timestamp == 750
    assert humanoid.person.name == "Daniel Okafor"


def test_plain_timed_lines_give_the_timestamp_and_a_language_label_names_nobody() -> None:
    humanoid = matched(PLAIN)["Humanoid"]
    assert humanoid.source_timestamp == 750
    assert humanoid.person is None


def test_a_claim_the_transcript_does_not_contain_says_passage_not_found() -> None:
    goods = matched(VTT_LABELLED)["Physical"]
    assert goods.passage == ""
    assert goods.source_timestamp is None
    assert goods.match_score is not None and goods.match_score < 70


def test_the_document_naming_a_speaker_wins_over_the_transcript_label() -> None:
    proposals = propose(
        parse(SUMMARY.replace("- Humanoid", "- Daniel expects humanoid")), date(2027, 1, 1), PEOPLE
    )
    cues = parse_transcript(VTT_LABELLED)
    (daniel,) = [p for p in match_transcript(proposals, cues, PEOPLE) if p.text.startswith("Daniel")]
    assert (daniel.person.name, daniel.attribution) == ("Daniel Okafor", Attribution.NAMED)
    assert daniel.source_timestamp == 750


def test_the_threshold_decides_between_a_passage_and_none() -> None:
    cues = parse_transcript(PLAIN)
    assert best_passage("humanoid robots in warehouses by 2029", cues) is not None
    assert best_passage("quantum computers break encryption", cues) is None


def test_a_file_with_no_timed_lines_is_refused_with_a_reason() -> None:
    with pytest.raises(TranscriptError, match="no timed lines"):
        parse_transcript("just some notes\nwithout times\n")
