"""The seed: the predictions of Lex Fridman Podcast #490, each located in the episode and
attributed where the transcript allows (fixtures/state-of-ai-2026.yaml)."""

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

from predictions.models import Attribution, Horizon, Prediction, Speaker, Stance

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
WRITE_UP = (ROOT / "fixtures" / "state-of-ai-2026.md").read_text(encoding="utf-8")
# The episode runs 4 h 25 min.
EPISODE_SECONDS = 4 * 3600 + 25 * 60
# The keys the seed had before attribution: imports are keyed by them, so none may change.
ORIGINAL_KEYS = {
    "bigger-compute-clusters-2026", "two-thousand-dollar-subscription-2026",
    "more-open-weight-builders-2026", "open-weight-builders-from-china-2026",
    "software-engineering-shifts-to-system-design-2026", "people-create-software-without-code-2026",
    "computer-use-still-sucks-2026", "software-automation-high-by-end-of-2026",
    "hard-software-still-hard-2026", "more-models-trained-for-tool-use",
    "recursive-language-models-for-complex-tasks", "trust-and-containerization-infrastructure",
    "ten-billion-dollar-ai-acquisitions", "few-ai-ipos-while-fundraising-easy",
    "one-model-to-rule-everything-dying", "continual-learning-arrives",
    "computing-remembered-in-100-years", "deep-learning-remembered-in-100-years",
    "model-architectures-forgotten-in-100-years", "physical-goods-at-premium-in-100-years",
    "no-clear-us-china-winner", "google-structural-advantages-compound",
    "chinese-open-model-consolidation", "scaling-laws-keep-holding",
    "rl-frontier-moves-to-harder-domains", "tool-use-reduces-hallucinations",
    "no-discrete-superhuman-coder-moment", "humans-fill-coding-gaps",
}  # fmt: skip
NOT_IN_WRITE_UP = "Not in the write-up"


def test_every_original_key_is_still_there(seeded):
    keys = set(Prediction.objects.values_list("key", flat=True))
    assert ORIGINAL_KEYS <= keys


def test_the_seed_has_near_medium_and_long_term_predictions(seeded):
    counts = Counter(Prediction.objects.values_list("horizon", flat=True))
    assert counts == {Horizon.NEAR: 14, Horizon.MEDIUM: 20, Horizon.LONG: 4}


def test_near_term_seed_predictions_come_due_by_the_end_of_2026(seeded):
    near = Prediction.objects.filter(horizon=Horizon.NEAR)
    assert max(near.values_list("due_on", flat=True)) == date(2026, 12, 31)
    # "in this Q1 2026 timeline": due at the end of that quarter, not of the year.
    assert near.get(key="us-open-400b-moe-models-q1-2026").due_on == date(2026, 3, 31)


def test_medium_and_long_term_seed_due_dates_follow_what_was_said(seeded):
    due = dict(Prediction.objects.values_list("key", "due_on"))
    assert due["continual-learning-arrives"] == date(2029, 1, 31)  # medium: nobody said decades
    assert due["computing-remembered-in-100-years"] == date(2126, 1, 31)
    assert due["physical-goods-at-premium-in-100-years"] == date(2029, 1, 31)  # "the next few years"


def test_every_seed_prediction_is_stated_on_the_episode_date_and_open(seeded):
    assert set(Prediction.objects.values_list("stated_on", "status")) == {(date(2026, 1, 31), "open")}


def test_every_prediction_has_a_speaker_or_a_stated_reason_for_none(seeded):
    for p in Prediction.objects.all():
        assert p.speaker_id or p.attribution_note.strip(), p.key
    people = Prediction.objects.filter(key__in=ORIGINAL_KEYS, speaker__isnull=False).count()
    assert people > len(ORIGINAL_KEYS) // 2


def test_every_attributed_prediction_has_its_moment_and_the_speakers_words(seeded):
    for p in Prediction.objects.exclude(attribution=Attribution.UNATTRIBUTED):
        assert p.source_timestamp is not None and 0 <= p.source_timestamp < EPISODE_SECONDS, p.key
        assert p.excerpt.strip(), p.key
        assert len(p.excerpt.split()) <= 40, p.key
        assert p.attribution_note.strip(), p.key
    for stance in Stance.objects.all():
        assert 0 <= stance.source_timestamp < EPISODE_SECONDS
        assert stance.excerpt.strip()
        assert stance.speaker_id != stance.prediction.speaker_id


def test_named_is_used_only_where_the_write_up_names_the_speaker(seeded):
    """The line of the write-up that quotes the claim, or the lead-in just above it, names
    the person; elsewhere the attribution is inferred from the transcript."""
    lines = WRITE_UP.splitlines()
    named = Prediction.objects.filter(attribution=Attribution.NAMED).select_related("speaker")
    assert named.exists()
    for p in named:
        first_name = p.speaker.name.split()[0]
        probe = p.quote.strip().strip('"')[:40]
        [at] = [i for i, line in enumerate(lines) if probe in line]
        assert any(first_name in line for line in lines[max(0, at - 3) : at + 1]), p.key


def test_claims_not_in_the_write_up_are_marked_as_such(seeded):
    added = Prediction.objects.exclude(key__in=ORIGINAL_KEYS)
    assert added.count() >= 5
    for p in added:
        assert p.section.startswith(NOT_IN_WRITE_UP), p.key
        assert p.source_timestamp is not None
    # Every one due by the end of 2026 is testable this year.
    assert added.filter(due_on__lte=date(2026, 12, 31)).count() >= 4


def test_corrections_against_the_write_up_are_explained(seeded):
    corrected = Prediction.objects.filter(key__in=ORIGINAL_KEYS).exclude(source_note="")
    assert corrected.count() >= 5
    moved = corrected.get(key="software-engineering-shifts-to-system-design-2026")
    assert moved.horizon == Horizon.MEDIUM  # the write-up listed it under 2026


def test_only_the_three_people_of_the_episode_are_speakers(seeded):
    assert Speaker.objects.count() == 3


def test_the_fixture_is_a_version_3_file_and_imports_as_written(seeded):
    data = yaml.safe_load((ROOT / "fixtures" / "state-of-ai-2026.yaml").read_text(encoding="utf-8"))
    assert data["format"] == "prediction-tracker/predictions/v3"
    assert Prediction.objects.count() == len(data["predictions"])


def test_the_same_claim_said_twice_is_kept_once(seeded):
    assert Prediction.objects.filter(claim__icontains="more open-weight model builders").count() == 1


def test_claim_and_criteria_name_no_year_but_the_due_one(seeded):
    """A claim due in 2029 does not say "in 2026", nor its criteria "by the end of 2026"
    (the write-up's placement is not the episode's): every year from the episode's on that
    the claim or criteria names is the due year, or the next (a reading "in January 2027")."""
    for p in Prediction.objects.all():
        for field in ("claim", "resolution_criteria"):
            text = getattr(p, field).replace("AI 2027", "")  # a scenario's name, not a date
            years = {int(y) for y in re.findall(r"\b(2\d{3})\b", text)}
            named = {y for y in years if y >= 2026}
            assert named <= {p.due_on.year, p.due_on.year + 1}, (p.key, field, named, p.due_on)


def test_what_comes_due_this_year_says_where_it_is_checked(seeded):
    """Two reviewers apply the same criteria the same way: each prediction due in 2026 names
    its source of truth."""
    due = Prediction.objects.filter(due_on__lte=date(2026, 12, 31))
    assert due.count() >= 14
    for p in due:
        assert "Checked against: " in p.resolution_criteria, p.key
