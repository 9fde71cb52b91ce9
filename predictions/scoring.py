"""Scorecard arithmetic: pure functions and dataclasses, no database.

The views count outcomes in the database and hand the counts here; everything that turns
counts into a number people read (accuracy, its interval, Brier score, calibration) lives
in this module so it can be checked against hand-worked values.

Accuracy rule (documented in docs/using.md, "Scorecard"):
    accuracy = (held up + PARTIAL_CREDIT x partially) / (held up + partially + did not hold up)
Unresolvable and still-pending predictions are counted and shown, but are not part of n.

Interval: the 95% Wilson score interval. With partial credit the number of "successes" is
not a whole number (held up + 0.5 x partially); we put that credited total straight into
the Wilson formula as p-hat = credited / n. With no partial outcomes this is exactly the
textbook interval; with them it is the interval of a proportion whose observations are
worth 0, PARTIAL_CREDIT or 1 — the same continuity choice the point estimate makes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# The two-sided 95% quantile of the standard normal distribution (not the rounded 1.96),
# so the intervals match statistical tables to the last printed digit.
Z_95 = 1.959963984540054


def wilson_interval(successes: float, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for `successes` out of `n` (successes may be fractional).

    centre    = (p + z²/2n) / (1 + z²/n)
    halfwidth = z / (1 + z²/n) · sqrt(p(1 − p)/n + z²/4n²)
    """
    if n <= 0:
        raise ValueError("A Wilson interval needs at least one observation (n > 0).")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie between 0 and n={n}, not {successes}.")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = (z / denominator) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # Clamp float dust (e.g. 1.0000000000000002) so a bound never reads past 0% or 100%.
    return max(0.0, centre - half), min(1.0, centre + half)


def check_partial_credit(partial_credit: float) -> float:
    if not 0 <= partial_credit <= 1:
        raise ValueError(f"PARTIAL_CREDIT must lie between 0 and 1, not {partial_credit}.")
    return partial_credit


@dataclass(frozen=True)
class Accuracy:
    """An accuracy with the evidence behind it: never a bare percentage."""

    value: float  # credited / n
    low: float  # 95% Wilson interval
    high: float
    n: int  # resolved and scored: held up + partially + did not hold up
    credited: float  # held up + PARTIAL_CREDIT x partially


def accuracy(held_up: int, partially: int, did_not_hold_up: int, partial_credit: float) -> Accuracy | None:
    """Accuracy with partial credit and its 95% Wilson interval; None when nothing is scored."""
    check_partial_credit(partial_credit)
    n = held_up + partially + did_not_hold_up
    if n == 0:
        return None
    credited = held_up + partial_credit * partially
    low, high = wilson_interval(credited, n)
    return Accuracy(value=credited / n, low=low, high=high, n=n, credited=credited)


@dataclass(frozen=True)
class Tally:
    """Counts of predictions by where they stand. Adding two tallies adds their counts."""

    held_up: int = 0
    partially: int = 0
    did_not_hold_up: int = 0
    unresolvable: int = 0
    open: int = 0  # not yet due, or deferred
    due: int = 0  # flagged, waiting for a reviewer
    # A panel's outcome not yet settled (REVIEW_QUORUM = 2): never counted as an outcome.
    proposed: int = 0  # one reviewer's outcome, waiting for a second
    disputed: int = 0  # two reviewers disagreed, waiting for a third

    def __add__(self, other: Tally) -> Tally:
        return Tally(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def tracked(self) -> int:
        return self.resolved + self.pending

    @property
    def resolved(self) -> int:
        return self.scored + self.unresolvable

    @property
    def scored(self) -> int:
        """The n of the accuracy: resolved with an outcome that can be scored."""
        return self.held_up + self.partially + self.did_not_hold_up

    @property
    def pending(self) -> int:
        return self.open + self.due + self.proposed + self.disputed

    def accuracy(self, partial_credit: float) -> Accuracy | None:
        return accuracy(self.held_up, self.partially, self.did_not_hold_up, partial_credit)


def total(tallies: Iterable[Tally]) -> Tally:
    return sum(tallies, Tally())


# A stance is scored on the outcome it backed: an agreeing speaker on the prediction's own
# outcome, a disputing one on the opposite. A dissent from a prediction that did not hold up
# held up, and the reverse; "partially" is as partial for the dissent, and an unresolvable
# prediction leaves its dissent unresolvable too.
DISSENT = {
    "held_up": "did_not_hold_up",
    "did_not_hold_up": "held_up",
    "partially": "partially",
    "unresolvable": "unresolvable",
}


def stance_outcome(stance: str, outcome: str) -> str:
    """The outcome as scored for a speaker who "agrees" or "disputes"; "" (not yet judged)
    stays "" either way."""
    if stance == "agrees" or not outcome:
        return outcome
    if stance == "disputes":
        return DISSENT[outcome]
    raise ValueError(f"A stance agrees or disputes, not {stance!r}.")


def stance_tally(rows: Iterable[tuple[str, str, str, int]]) -> Tally:
    """A speaker's stances counted as scored for them, from (stance, the prediction's status,
    its outcome, how many) rows: a dissent from a prediction that held up counts as did not
    hold up. A prediction still open or due leaves its stances pending."""
    counts = dict.fromkeys((f.name for f in fields(Tally)), 0)
    for stance, status, outcome, n in rows:
        counts[stance_outcome(stance, outcome) if status == "resolved" else status] += n
    return Tally(**counts)


# Outcome values as scored: held up 1, partially PARTIAL_CREDIT, did not hold up 0.
def outcome_value(outcome: str, partial_credit: float) -> float | None:
    """The score of an outcome, or None for outcomes that are not scored."""
    check_partial_credit(partial_credit)
    return {"held_up": 1.0, "partially": partial_credit, "did_not_hold_up": 0.0}.get(outcome)


def brier_score(forecasts: Sequence[tuple[float, float]]) -> float | None:
    """Mean squared difference between stated probability and outcome value; lower is better.

    `forecasts` holds (probability, outcome value) pairs. A "partially" outcome enters with
    its credit (0.5 by default) as the outcome value, as in the accuracy. None when empty:
    no probabilities, no score — never a misleading 0.
    """
    if not forecasts:
        return None
    for probability, value in forecasts:
        if not (0 <= probability <= 1 and 0 <= value <= 1):
            raise ValueError(f"Probabilities and outcome values lie in [0, 1], not {(probability, value)}.")
    return sum((probability - value) ** 2 for probability, value in forecasts) / len(forecasts)


@dataclass(frozen=True)
class CalibrationBucket:
    low: float  # stated probabilities in [low, high); the last bucket includes 1.0
    high: float
    n: int
    mean_probability: float | None  # what was stated, on average
    observed: float | None  # what happened: mean outcome value
    observed_low: float | None  # 95% Wilson interval of `observed`
    observed_high: float | None


def calibration(forecasts: Sequence[tuple[float, float]], buckets: int = 5) -> list[CalibrationBucket]:
    """Group (probability, outcome value) pairs into equal-width probability buckets.

    Well calibrated: in each bucket, `observed` is close to `mean_probability`.
    """
    if buckets < 1:
        raise ValueError("At least one calibration bucket is needed.")
    members: list[list[tuple[float, float]]] = [[] for _ in range(buckets)]
    for probability, value in forecasts:
        if not (0 <= probability <= 1 and 0 <= value <= 1):
            raise ValueError(f"Probabilities and outcome values lie in [0, 1], not {(probability, value)}.")
        # min(): a probability of exactly 1.0 belongs to the top bucket, not a new one.
        members[min(int(probability * buckets), buckets - 1)].append((probability, value))
    return [
        _bucket(i, buckets, len(pairs), sum(p for p, _ in pairs), sum(v for _, v in pairs))
        for i, pairs in enumerate(members)
    ]


def _bucket(i: int, buckets: int, n: int, probability_sum: float, observed_sum: float) -> CalibrationBucket:
    """Calibration bucket `i` of `buckets` from its count and sums (empty when n is 0)."""
    if not n:
        return CalibrationBucket(i / buckets, (i + 1) / buckets, 0, None, None, None, None)
    low, high = wilson_interval(observed_sum, n)
    return CalibrationBucket(
        i / buckets, (i + 1) / buckets, n, probability_sum / n, observed_sum / n, low, high
    )


# Stated probabilities are kept to three decimals (the model's DecimalField), so the tally
# sums them exactly as whole thousandths; calibration has this many equal-width buckets.
PROBABILITY_SCALE = 1000
CALIBRATION_BUCKETS = 5


@dataclass(frozen=True)
class Stated:
    """Stated probabilities of some predictions, summed exactly: how many, the sum of the
    probabilities and the sum of their squares, in thousandths (p = 0.8 counts 800 and 640,000).

    What the Brier score and calibration need from a group of predictions that share an
    outcome, whatever PARTIAL_CREDIT is: Σ(p − v)² = Σp² − 2vΣp + v²n when every member has
    the same outcome value v."""

    n: int = 0
    total: int = 0
    squares: int = 0

    def __add__(self, other: Stated) -> Stated:
        return Stated(self.n + other.n, self.total + other.total, self.squares + other.squares)


def stated_bucket(thousandths: int, buckets: int = CALIBRATION_BUCKETS) -> int:
    """The calibration bucket of a probability given in thousandths (as `calibration` buckets it)."""
    return min(thousandths * buckets // PROBABILITY_SCALE, buckets - 1)


def _scored(by_outcome: Mapping[str, Stated], partial_credit: float) -> list[tuple[Fraction, Stated]]:
    values = ((outcome_value(outcome, partial_credit), stated) for outcome, stated in by_outcome.items())
    return [(Fraction(value), stated) for value, stated in values if value is not None and stated.n]


def brier_from_sums(by_outcome: Mapping[str, Stated], partial_credit: float) -> float | None:
    """`brier_score` of the predictions summed in `by_outcome` (outcome -> Stated), from the sums
    alone; None when none of them is scored. Exact arithmetic, rounded once at the end."""
    scored = _scored(by_outcome, partial_credit)
    n = sum(stated.n for _, stated in scored)
    if not n:
        return None
    scale = Fraction(PROBABILITY_SCALE)
    squared = sum(
        Fraction(s.squares) / scale**2 - 2 * v * Fraction(s.total) / scale + v * v * s.n for v, s in scored
    )
    return float(squared / n)


def calibration_from_sums(
    by_bucket: Mapping[int, Mapping[str, Stated]], partial_credit: float, buckets: int = CALIBRATION_BUCKETS
) -> list[CalibrationBucket]:
    """`calibration` of predictions summed per bucket (bucket -> outcome -> Stated)."""
    result = []
    for i in range(buckets):
        scored = _scored(by_bucket.get(i, {}), partial_credit)
        n = sum(stated.n for _, stated in scored)
        probability_sum = float(Fraction(sum(s.total for _, s in scored), PROBABILITY_SCALE))
        result.append(_bucket(i, buckets, n, probability_sum, float(sum(v * s.n for v, s in scored))))
    return result


def percent(fraction: float) -> str:
    """A fraction as a whole percentage, halves rounded up (0.125 -> "13%", not banker's "12%")."""
    # Through str() so 0.125 rounds as the decimal people see, not as its binary neighbour.
    return f"{(Decimal(str(fraction)) * 100).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}%"
