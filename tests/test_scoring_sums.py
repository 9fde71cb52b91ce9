"""The page's Brier score and calibration come from sums (`brier_from_sums`,
`calibration_from_sums`, fed by the tally): they must equal the reference definitions
(`brier_score`, `calibration`) computed pair by pair, for any outcomes and any PARTIAL_CREDIT.

Hand-worked first, with a "partially" outcome (its value is the credit, so v² ≠ v), then a
property over random sets of stated probabilities and outcomes.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from predictions.scoring import (
    CALIBRATION_BUCKETS,
    PROBABILITY_SCALE,
    Stated,
    brier_from_sums,
    brier_score,
    calibration,
    calibration_from_sums,
    outcome_value,
    stated_bucket,
)

OUTCOMES = ("held_up", "partially", "did_not_hold_up", "unresolvable")


def summed(pairs: list[tuple[int, str]]) -> tuple[dict[str, Stated], dict[int, dict[str, Stated]]]:
    """(thousandths, outcome) pairs summed the way the tally sums them: per outcome, and per
    calibration bucket and outcome."""
    by_outcome: dict[str, Stated] = defaultdict(Stated)
    by_bucket: dict[int, dict[str, Stated]] = defaultdict(lambda: defaultdict(Stated))
    for thousandths, outcome in pairs:
        one = Stated(1, thousandths, thousandths * thousandths)
        by_outcome[outcome] += one
        by_bucket[stated_bucket(thousandths)][outcome] += one
    return by_outcome, by_bucket


def reference_pairs(pairs: list[tuple[int, str]], credit: float) -> list[tuple[float, float]]:
    scored = ((t / PROBABILITY_SCALE, outcome_value(o, credit)) for t, o in pairs)
    return [(p, v) for p, v in scored if v is not None]


def test_a_partial_outcome_enters_the_brier_score_with_its_credit_squared() -> None:
    # p = 0.8 partially (v = 0.5): (0.8 − 0.5)² = 0.09; p = 0.3 held up: (0.3 − 1)² = 0.49;
    # p = 0.6 did not hold up: 0.36; unresolvable is not scored. Mean = 0.94 / 3 = 0.313333.
    by_outcome, _ = summed(
        [(800, "partially"), (300, "held_up"), (600, "did_not_hold_up"), (900, "unresolvable")]
    )
    assert brier_from_sums(by_outcome, 0.5) == pytest.approx(0.313333, abs=1e-6)
    # With credit 0.25: (0.8 − 0.25)² = 0.3025, so (0.3025 + 0.49 + 0.36) / 3 = 0.384167.
    assert brier_from_sums(by_outcome, 0.25) == pytest.approx(0.384167, abs=1e-6)


def test_only_partial_outcomes_score_against_the_credit() -> None:
    # Two predictions at 0.5 that partially held: with credit 0.5 they are exactly right.
    by_outcome, _ = summed([(500, "partially"), (500, "partially")])
    assert brier_from_sums(by_outcome, 0.5) == 0.0
    # Credit 1: (0.5 − 1)² = 0.25 each.
    assert brier_from_sums(by_outcome, 1.0) == pytest.approx(0.25)


def test_no_scored_outcome_means_no_score() -> None:
    by_outcome, _ = summed([(700, "unresolvable")])
    assert brier_from_sums(by_outcome, 0.5) is None
    assert brier_from_sums({}, 0.5) is None


def test_calibration_from_sums_observes_the_credit_of_partial_outcomes() -> None:
    # Bucket 4 ([0.8, 1.0]): 0.9 held up (1) and 0.8 partially (0.5): observed 0.75, stated 0.85.
    _, by_bucket = summed([(900, "held_up"), (800, "partially"), (100, "did_not_hold_up")])
    buckets = calibration_from_sums(by_bucket, 0.5)
    assert (buckets[4].n, buckets[4].mean_probability, buckets[4].observed) == (2, pytest.approx(0.85), 0.75)
    assert (buckets[0].n, buckets[0].mean_probability, buckets[0].observed) == (1, pytest.approx(0.1), 0.0)
    assert [b.n for b in buckets[1:4]] == [0, 0, 0]


forecasts = st.lists(st.tuples(st.integers(0, PROBABILITY_SCALE), st.sampled_from(OUTCOMES)), max_size=40)
credits = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]) | st.floats(0, 1)


@given(forecasts, credits)
def test_the_brier_score_from_sums_equals_the_reference(pairs: list[tuple[int, str]], credit: float) -> None:
    by_outcome, _ = summed(pairs)
    expected = brier_score(reference_pairs(pairs, credit))
    got = brier_from_sums(by_outcome, credit)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1e-9)


@given(forecasts, credits)
def test_calibration_from_sums_equals_the_reference(pairs: list[tuple[int, str]], credit: float) -> None:
    _, by_bucket = summed(pairs)
    expected = calibration(reference_pairs(pairs, credit), CALIBRATION_BUCKETS)
    got = calibration_from_sums(by_bucket, credit)
    assert [(b.low, b.high, b.n) for b in got] == [(b.low, b.high, b.n) for b in expected]
    for mine, theirs in zip(got, expected, strict=True):
        for field in ("mean_probability", "observed", "observed_low", "observed_high"):
            if getattr(theirs, field) is None:
                assert getattr(mine, field) is None
            else:
                assert getattr(mine, field) == pytest.approx(getattr(theirs, field), abs=1e-9)
