"""The seed summary against the curated fixtures: every curated prediction is proposed with
its horizon; what else is proposed is the reviewed list below."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from rapidfuzz import fuzz, utils

from predictions.ingest.document import parse
from predictions.ingest.forward import Person
from predictions.ingest.propose import propose
from predictions.models import Attribution, Candidate

ROOT = Path(__file__).resolve().parent.parent
SEED_MD = ROOT / "fixtures" / "state-of-ai-2026.md"
SEED_YAML = ROOT / "fixtures" / "state-of-ai-2026.yaml"
MATCH = 90  # token_set_ratio: a candidate is (part of) a fixture's quote
PEOPLE = [Person(1, "Lex Fridman"), Person(2, "Sebastian Raschka"), Person(3, "Nathan Lambert")]

# Reviewed by hand: forward-looking by their wording or heading, but not tracked in the
# fixtures (habits, rhetorical questions, present-tense descriptions, a report's claim).
EXPECTED_EXTRAS = {
    "Open weights are a strategy to influence and capture market share when enterprises won't pay for Chinese API subscriptions due to security concerns",
    "\"They're smart and realize the same constraints: a lot of top US tech companies and other IT companies won't pay for an API subscription to Chinese companies for security concerns.\"",
    "Gemini: Fast tasks, things you could sometimes Google",
    "This shifts the calculus toward inference-time scaling",
    '"How long is my model gonna be on the market if I replace it in half a year?"',
    "Labs must find harder problems as models improve",
    "Each sub-task could involve tool calls (web search, code execution), enabling compound capability.",
    "\"AI is so-called 'jagged,' which will be excellent at some things and really bad at some things.\"",
    'The AI 2027 report predicts a "superhuman coder" milestone',
    '"Those lines lead to what we already see"',
    'No discrete "superhuman coder" moment—continuous improvement with persistent gaps',
    "AI startups have very high premiums",
    "Authors will probably email you back (if you put effort into understanding)",
}


def curated() -> list[dict]:
    predictions = yaml.safe_load(SEED_YAML.read_text())["predictions"]
    return [p for p in predictions if not p["section"].startswith("Not in the write-up")]


def score(text: str, quote: str) -> float:
    return fuzz.token_set_ratio(text, quote, processor=utils.default_process)


def best_for(quote: str, texts: list[str]) -> str:
    return max(texts, key=lambda t: (score(t, quote), fuzz.ratio(t, quote, processor=utils.default_process)))


def test_every_curated_prediction_is_proposed_with_its_horizon() -> None:
    proposals = propose(parse(SEED_MD.read_text()), date(2026, 1, 31), PEOPLE)
    by_text = {p.text: p for p in proposals}
    misses = []
    for fixture in curated():
        text = best_for(fixture["quote"], list(by_text))
        # Where the episode corrected the write-up's horizon (source_note says so), the
        # reviewer changes it on accepting; the document itself still reads the old one.
        corrected = bool(fixture.get("source_note"))
        if score(text, fixture["quote"]) < MATCH or (
            by_text[text].reading.horizon != fixture["horizon"] and not corrected
        ):
            misses.append((fixture["key"], text, by_text[text].reading.horizon))
    assert misses == []
    assert len(curated()) == 28


def test_what_is_proposed_beyond_the_fixtures_is_the_reviewed_list() -> None:
    proposals = propose(parse(SEED_MD.read_text()), date(2026, 1, 31), PEOPLE)
    quotes = [f["quote"] for f in curated()]
    extras = {p.text for p in proposals if max(score(p.text, q) for q in quotes) < MATCH}
    print("\nProposed beyond the fixtures:\n" + "\n".join(sorted(extras)))
    assert extras == EXPECTED_EXTRAS


def seed_proposal(prefix: str):
    proposals = propose(parse(SEED_MD.read_text()), date(2026, 1, 31), PEOPLE)
    (found,) = [p for p in proposals if p.text.startswith(prefix)]
    return found


def test_only_the_claims_the_write_up_ties_to_a_person_are_attributed() -> None:
    proposals = propose(parse(SEED_MD.read_text()), date(2026, 1, 31), PEOPLE)
    named = sorted(p.text.split()[0] for p in proposals if p.person and p.person.name == "Nathan Lambert")
    # Under "Nathan's usage pattern", after "Nathan's framing", after "Nathan disagrees".
    assert named == ['"AI', '"I', "Gemini:"]
    assert [p for p in proposals if p.person and p.person.name != "Nathan Lambert"] == []


@pytest.mark.parametrize(
    "prefix, horizon, as_said, due_on",
    [
        ("Expect bigger compute clusters", "near", "2026", date(2026, 12, 31)),
        ('"$2,000 subscription this year', "near", "this year", date(2026, 12, 31)),
        ("More models trained with tool", "medium", "years", date(2029, 1, 31)),
        ('The "missing piece"', "long", "decades", date(2046, 1, 31)),
        ("Or consistent increases over time", "long", "decades", date(2046, 1, 31)),
        ("Deep learning likely a remembered", "long", "100 years out", date(2126, 1, 31)),
        ("Consolidation pressure will come", "medium", "eventually", date(2029, 1, 31)),
        ('"more open model builders throughout', "near", "throughout 2026", date(2026, 12, 31)),
        ("There won't be a clear technology", "medium", "unstated", date(2029, 1, 31)),
        ("But distributed ML", "near", "by the end of this year", date(2026, 12, 31)),
    ],
)
def test_the_horizon_follows_the_wording_then_the_heading(prefix, horizon, as_said, due_on) -> None:
    reading = seed_proposal(prefix).reading
    assert (reading.horizon, reading.as_said, reading.due_on) == (horizon, as_said, due_on)


@pytest.mark.django_db
def test_the_command_on_the_seed_proposes_into_the_imported_source(seeded) -> None:
    call_command("ingest_summary", str(SEED_MD), stdout=_Sink())
    candidates = Candidate.objects.select_related("source", "speaker")
    # 36 candidates cover the 28 curated quotes (some quotes join two or four bullets).
    assert candidates.count() == 36 + len(EXPECTED_EXTRAS)
    assert {c.source.slug for c in candidates} == {"lex-fridman-490"}
    nathan = candidates.get(text__startswith="\"I think it's assigning completeness")
    assert (nathan.speaker.slug, nathan.attribution) == ("nathan-lambert", Attribution.NAMED)
    assert candidates.filter(speaker__isnull=True).count() == candidates.count() - 3


class _Sink:
    def write(self, *args: object, **kwargs: object) -> None:
        pass

    def flush(self) -> None:
        pass
