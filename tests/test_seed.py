from collections import Counter
from datetime import date

import pytest

from predictions.models import Horizon, Prediction, Speaker

pytestmark = pytest.mark.django_db


def test_the_seed_has_near_medium_and_long_term_predictions(seeded):
    counts = Counter(Prediction.objects.values_list("horizon", flat=True))
    assert counts[Horizon.NEAR] == 9
    assert counts[Horizon.MEDIUM] == 14
    assert counts[Horizon.LONG] == 5


def test_near_term_seed_predictions_come_due_at_the_end_of_2026(seeded):
    near = Prediction.objects.filter(horizon=Horizon.NEAR)
    assert set(near.values_list("due_on", flat=True)) == {date(2026, 12, 31)}


def test_medium_and_long_term_seed_due_dates_follow_the_defaults(seeded):
    assert set(Prediction.objects.filter(horizon=Horizon.MEDIUM).values_list("due_on", flat=True)) == {
        date(2029, 1, 31)
    }
    long_term = dict(Prediction.objects.filter(horizon=Horizon.LONG).values_list("key", "due_on"))
    assert long_term["continual-learning-arrives"] == date(2046, 1, 31)
    assert long_term["computing-remembered-in-100-years"] == date(2126, 1, 31)


def test_every_seed_prediction_is_stated_on_the_episode_date_and_open(seeded):
    assert set(Prediction.objects.values_list("stated_on", "status")) == {(date(2026, 1, 31), "open")}


def test_only_lines_the_document_ties_to_a_person_are_attributed(seeded):
    attributed = dict(Prediction.objects.filter(speaker__isnull=False).values_list("key", "speaker__slug"))
    assert attributed == {"no-discrete-superhuman-coder-moment": "nathan-lambert"}
    assert Speaker.objects.count() == 3


def test_the_same_claim_said_twice_is_kept_once(seeded):
    assert Prediction.objects.filter(claim__icontains="more open-weight model builders").count() == 1
