"""Summaries of the same shape as the seed, written for these tests: another episode, other
speakers, other years."""

from __future__ import annotations

from datetime import date

import pytest

from predictions.ingest.document import BlockKind, parse, split_sentences
from predictions.ingest.forward import LONG_AFTER_YEARS, Person, named_person, read_horizon
from predictions.ingest.propose import main_reference, propose

ROBOTICS = """\
[← Back](../README.md)

# Robots Everywhere: Chen, Okafor

A conversation between Mei Chen and Daniel Okafor on home robotics.

## Hardware

### Actuators

Actuators got cheaper by half since 2023 [2]. Prices will keep falling over time [2].

**Mei's bet** [2]:
- Humanoids in warehouses by 2029
- Current grippers are too slow

> "Nobody is shipping a general home robot in 2027, I'd bet on it."

## Outlook

### Near-Term (2027)

**Deployment** [2]:
- Home robot pilots in three countries this year
- Daniel thinks safety certification lags

### Long-Term (Decades)

- Robots do most household chores
- In 40 years care homes rely on robots

## Sources

1. [Robotics newsletter](https://example.org/newsletter)
2. [Robots Everywhere, episode 12](https://example.org/episode-12)
"""

PEOPLE = [Person(10, "Mei Chen"), Person(11, "Daniel Okafor")]


def proposals() -> dict[str, object]:
    return {p.text: p for p in propose(parse(ROBOTICS), date(2027, 3, 1), PEOPLE)}


def test_it_reads_title_headings_and_the_numbered_sources_list() -> None:
    document = parse(ROBOTICS)
    assert document.title == "Robots Everywhere: Chen, Okafor"
    assert document.headings[:2] == ["Hardware", "Actuators"]
    assert document.sources[2].url == "https://example.org/episode-12"
    assert main_reference(document) == 2  # cited by [2], not the first entry


def test_a_bold_lead_in_is_part_of_the_section_path_and_links_are_not_claims() -> None:
    blocks = parse(ROBOTICS).blocks
    bullet = next(b for b in blocks if b.text.startswith("Humanoids"))
    assert bullet.kind == BlockKind.BULLET
    assert bullet.path == ("Hardware", "Actuators", "Mei's bet")
    assert bullet.refs == (2,)
    assert not any("Back" in b.text or "newsletter" in b.text for b in blocks)


def test_it_proposes_forward_looking_claims_and_not_the_present() -> None:
    found = proposals()
    assert "Prices will keep falling over time." in found
    assert "Actuators got cheaper by half since 2023." not in found
    assert "Current grippers are too slow" not in found
    assert "Robots do most household chores" in found  # under Long-Term


def test_horizons_come_from_the_wording_then_the_headings() -> None:
    found = proposals()
    humanoids = found["Humanoids in warehouses by 2029"].reading
    assert (humanoids.horizon, humanoids.as_said, humanoids.due_on) == (
        "medium",
        "by 2029",
        date(2029, 12, 31),
    )
    pilots = found["Home robot pilots in three countries this year"].reading
    assert (pilots.horizon, pilots.as_said, pilots.due_on) == ("near", "this year", date(2027, 12, 31))
    safety = found["Daniel thinks safety certification lags"].reading
    assert (safety.horizon, safety.as_said) == ("near", "2027")
    care = found["In 40 years care homes rely on robots"].reading
    assert (care.horizon, care.as_said, care.due_on) == ("long", "40 years out", date(2067, 3, 1))
    falling = found["Prices will keep falling over time."].reading
    assert (falling.horizon, falling.as_said) == ("medium", "over time")


def test_a_speaker_is_attached_only_where_the_text_names_them() -> None:
    found = proposals()
    assert found["Humanoids in warehouses by 2029"].person.name == "Mei Chen"  # "Mei's bet"
    assert found["Daniel thinks safety certification lags"].person.name == "Daniel Okafor"
    assert found["Home robot pilots in three countries this year"].person is None
    assert found["Prices will keep falling over time."].person is None


def test_two_people_named_in_one_place_is_left_to_the_reviewer() -> None:
    assert named_person(["Mei and Daniel disagree", "Mei's bet"], PEOPLE) is None
    assert named_person(["Nobody here", "Daniel's view"], PEOPLE).name == "Daniel Okafor"


def test_a_sentence_joining_two_claims_with_but_is_proposed_as_two() -> None:
    assert split_sentences(
        "Consolidation will come eventually, but more labs will open up in 2027. Done."
    ) == [
        "Consolidation will come eventually",
        "more labs will open up in 2027.",
        "Done.",
    ]


def test_abbreviations_do_not_end_a_sentence() -> None:
    assert split_sentences("Labs e.g. Ai2 will ship. Then more.") == [
        "Labs e.g. Ai2 will ship.",
        "Then more.",
    ]


@pytest.mark.parametrize(
    ("text", "horizon"),
    [("In 10 years robots sort parcels.", "medium"), ("In 11 years robots sort parcels.", "long")],
)
def test_ten_years_out_is_still_medium_term_and_more_is_long(text: str, horizon: str) -> None:
    assert LONG_AFTER_YEARS == 10
    assert read_horizon(text, [], date(2026, 1, 31)).horizon == horizon
