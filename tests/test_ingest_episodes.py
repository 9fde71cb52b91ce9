"""The invented test episodes of tests/data/ingest (other shapes than the seed: no Timeline
Predictions section, Key claims, quotes, a name in the title only, present practice, two
people with one first name; WebVTT, SRT and plain transcripts): every expected claim is
proposed with its horizon, due date, speaker and how it is known, and its moment (± 20 s);
nothing else is proposed. `python -m bench.ingest` prints the precision and recall."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from bench.ingest import EPISODES, evaluate
from predictions.ingest.transcript import align, parse_transcript

NAMES = list(yaml.safe_load((EPISODES / "expected.yaml").read_text())["documents"])
# The held-out episode (written after the rules, not tuned to them) shows what is still
# missed; a fix removes its line here. Its first run missed one field: "within a decade",
# read since.
KNOWN_GAPS: dict[str, list[str]] = {}


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    return {e.name: e for e in evaluate()}


@pytest.mark.parametrize("name", NAMES)
def test_each_episode_proposes_exactly_its_claims_with_the_right_fields(results, name: str) -> None:
    episode = results[name]
    assert (episode.missed, episode.extra, episode.wrong) == ([], [], KNOWN_GAPS.get(name, []))


def test_a_claim_that_appears_twice_takes_the_moment_in_the_documents_order() -> None:
    vtt = """WEBVTT

00:01:00.000 --> 00:01:05.000
Gripper costs will fall by half.

00:05:00.000 --> 00:05:05.000
Humanoid robots will pick orders in warehouses.

00:09:00.000 --> 00:09:05.000
Gripper costs will fall by half, I said it before.
"""
    cues = parse_transcript(vtt)
    first, second, third = align(
        ["Gripper costs will fall by half", "Humanoid robots will pick orders in warehouses",
         "Gripper costs will fall by half, again"], cues,
    )  # fmt: skip
    assert (first.start, second.start, third.start) == (60, 300, 540)
    # Each says how close the other moment came, so a reviewer sees it is unsure.
    assert first.runner_up is not None and first.runner_up_start == 540


def test_an_out_of_order_claim_keeps_its_clearly_better_moment() -> None:
    vtt = """WEBVTT

00:01:00.000 --> 00:01:05.000
Fusion will reach a grid by 2035.

00:05:00.000 --> 00:05:05.000
Tritium will limit the plants.
"""
    found = align(
        ["Tritium will limit the plants", "Fusion will reach a grid by 2035"], parse_transcript(vtt)
    )
    assert [f.start for f in found] == [300, 60]


def test_before_a_year_is_due_by_the_end_of_the_year_before() -> None:
    from predictions.ingest.forward import read_horizon

    reading = read_horizon("Robots will ship before 2030", (), date(2027, 3, 1))
    assert (reading.due_on, reading.as_said) == (date(2029, 12, 31), "before 2030")
