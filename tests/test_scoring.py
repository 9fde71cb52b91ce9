"""Scorecard arithmetic against values worked by hand.

Throughout: z = 1.959964 (95%), z² = 3.841459, and the Wilson interval is
    centre = (p + z²/2n) / (1 + z²/n),  half = z / (1 + z²/n) · sqrt(p(1 − p)/n + z²/4n²).
"""

from __future__ import annotations

import pytest

from predictions import charts
from predictions.scoring import (
    Tally,
    accuracy,
    brier_score,
    calibration,
    outcome_value,
    percent,
    total,
    wilson_interval,
)


def test_two_of_two_gets_a_wide_interval() -> None:
    # p = 1, n = 2: z²/n = 1.920729, 1 + z²/n = 2.920729
    # centre = (1 + 0.960365) / 2.920729 = 0.671190
    # half = 0.671050 · sqrt(0 + 3.841459/16) = 0.671050 · 0.489991 = 0.328809
    low, high = wilson_interval(2, 2)
    assert low == pytest.approx(0.342381, abs=1e-5)
    assert high == 1.0


def test_forty_of_fifty_gets_a_narrow_interval() -> None:
    # p = 0.8, n = 50: 1 + z²/n = 1.076829; centre = (0.8 + 0.038415) / 1.076829 = 0.778599
    # half = (1.959964 / 1.076829) · sqrt(0.16/50 + 3.841459/10000) = 1.820126 · 0.059868 = 0.108966
    low, high = wilson_interval(40, 50)
    assert low == pytest.approx(0.669633, abs=1e-5)
    assert high == pytest.approx(0.887565, abs=1e-5)


def test_two_of_two_never_reads_better_than_forty_of_fifty() -> None:
    # The point estimates say 100% > 80%; the lower bounds say 34% < 67%.
    assert wilson_interval(2, 2)[0] < wilson_interval(40, 50)[0]


def test_none_of_one_reaches_zero_and_stops_short_of_eighty_percent() -> None:
    # p = 0, n = 1: 1 + z² = 4.841459; centre = 1.920729 / 4.841459 = 0.396725
    # half = (1.959964 / 4.841459) · sqrt(3.841459/4) = 0.404829 · 0.979982 = 0.396725
    low, high = wilson_interval(0, 1)
    assert low == pytest.approx(0.0, abs=1e-9)
    assert high == pytest.approx(0.793451, abs=1e-5)


def test_fractional_successes_use_the_same_formula() -> None:
    # 1 held up, 1 partially (0.5), 1 did not: 1.5 of 3, p = 0.5.
    # 1 + z²/3 = 2.280486; centre = (0.5 + 0.640243) / 2.280486 = 0.5
    # half = 0.859446 · sqrt(0.25/3 + 3.841459/36) = 0.859446 · 0.435936 = 0.374666
    low, high = wilson_interval(1.5, 3)
    assert low == pytest.approx(0.125334, abs=1e-5)
    assert high == pytest.approx(0.874666, abs=1e-5)


@pytest.mark.parametrize(("successes", "n"), [(0, 0), (3, 2), (-1, 2)])
def test_an_impossible_interval_is_refused(successes: float, n: int) -> None:
    with pytest.raises(ValueError):
        wilson_interval(successes, n)


def test_partially_held_up_earns_the_partial_credit() -> None:
    acc = accuracy(held_up=1, partially=1, did_not_hold_up=1, partial_credit=0.5)
    assert acc is not None
    assert (acc.value, acc.n, acc.credited) == (0.5, 3, 1.5)
    assert (acc.low, acc.high) == pytest.approx((0.125334, 0.874666), abs=1e-5)


def test_the_partial_credit_is_a_setting_not_a_constant() -> None:
    # Full credit: 2 of 3 = 0.666667.
    acc = accuracy(held_up=1, partially=1, did_not_hold_up=1, partial_credit=1.0)
    assert acc is not None
    assert acc.value == pytest.approx(2 / 3)
    assert acc.credited == 2.0


def test_a_partial_credit_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="PARTIAL_CREDIT"):
        accuracy(held_up=1, partially=1, did_not_hold_up=0, partial_credit=1.5)


def test_there_is_no_accuracy_without_a_scored_outcome() -> None:
    assert accuracy(held_up=0, partially=0, did_not_hold_up=0, partial_credit=0.5) is None
    # Unresolvable and pending predictions are counted but never scored.
    assert Tally(unresolvable=3, open=4, due=1).accuracy(0.5) is None


def test_a_tally_counts_resolved_scored_and_pending_separately() -> None:
    tally = Tally(held_up=2, partially=1, did_not_hold_up=1, unresolvable=1, open=3, due=2)
    assert (tally.tracked, tally.resolved, tally.scored, tally.pending) == (10, 5, 4, 5)
    acc = tally.accuracy(0.5)
    # (2 + 0.5) / 4 = 0.625; the unresolvable one is not in n.
    assert acc is not None and (acc.value, acc.n) == (0.625, 4)


def test_tallies_add_up_field_by_field() -> None:
    a = Tally(held_up=1, open=2)
    b = Tally(held_up=2, did_not_hold_up=1, due=1)
    assert a + b == Tally(held_up=3, did_not_hold_up=1, open=2, due=1)
    assert total([a, b, Tally()]) == a + b
    assert total([]) == Tally()


def test_outcomes_score_one_partial_credit_or_zero() -> None:
    assert [outcome_value(o, 0.5) for o in ("held_up", "partially", "did_not_hold_up")] == [1.0, 0.5, 0.0]
    assert outcome_value("unresolvable", 0.5) is None
    assert outcome_value("", 0.5) is None


def test_the_brier_score_is_the_mean_squared_error() -> None:
    # (0.8 − 1)² = 0.04, (0.3 − 0)² = 0.09, (0.6 − 0.5)² = 0.01: mean 0.14 / 3 = 0.046667
    assert brier_score([(0.8, 1.0), (0.3, 0.0), (0.6, 0.5)]) == pytest.approx(0.046667, abs=1e-5)


def test_there_is_no_brier_score_without_probabilities() -> None:
    assert brier_score([]) is None


def test_calibration_groups_forecasts_into_probability_buckets() -> None:
    buckets = calibration([(0.1, 0.0), (0.15, 1.0), (0.9, 1.0), (1.0, 1.0), (0.85, 0.5)])
    assert [(b.low, b.high, b.n) for b in buckets] == [
        (0.0, 0.2, 2),
        (0.2, 0.4, 0),
        (0.4, 0.6, 0),
        (0.6, 0.8, 0),
        (0.8, 1.0, 3),  # 1.0 belongs to the top bucket
    ]
    low = buckets[0]
    # Stated (0.1 + 0.15) / 2 = 0.125; observed 1 of 2 = 0.5; Wilson(1, 2):
    # centre = (0.5 + 0.960365) / 2.920729 = 0.5, half = 0.671050 · sqrt(0.125 + 0.240091) = 0.405467
    assert low.mean_probability == pytest.approx(0.125)
    assert low.observed == pytest.approx(0.5)
    assert (low.observed_low, low.observed_high) == pytest.approx((0.094533, 0.905467), abs=1e-5)
    high = buckets[4]
    # Stated (0.9 + 1.0 + 0.85) / 3 = 0.916667; observed (1 + 1 + 0.5) / 3 = 0.833333
    assert high.mean_probability == pytest.approx(0.916667, abs=1e-5)
    assert high.observed == pytest.approx(0.833333, abs=1e-5)
    empty = buckets[1]
    assert (empty.mean_probability, empty.observed, empty.observed_low) == (None, None, None)


def test_percentages_round_halves_up() -> None:
    # Python's round() would give 12% and 62% (round half to even).
    assert [percent(x) for x in (0.125, 0.625, 0.3424, 1.0, 0.0)] == ["13%", "63%", "34%", "100%", "0%"]


def test_due_years_are_single_years_then_decades() -> None:
    # Said in 2026: single years until the end of the 2030s, decades from 2040.
    assert charts.due_bucket(2026, 2026) == (2026, "2026")
    assert charts.due_bucket(2039, 2026) == (2039, "2039")
    assert charts.due_bucket(2040, 2026) == (2040, "2040s")
    assert charts.due_bucket(2126, 2026) == (2120, "2120s")
    # A decade's first year is no different: in 2030 the next decade is the 2040s.
    assert charts.due_bucket(2049, 2030) == (2049, "2049")
    assert charts.due_bucket(2050, 2030) == (2050, "2050s")


def test_timeline_buckets_merge_a_decade_and_keep_time_order() -> None:
    merged = charts.bucket_years(
        [(2126, Tally(open=1)), (2026, Tally(due=2)), (2046, Tally(open=1)), (2049, Tally(held_up=1))],
        this_year=2026,
    )
    assert merged == [("2026", Tally(due=2)), ("2040s", Tally(open=1, held_up=1)), ("2120s", Tally(open=1))]


def test_the_accuracy_chart_draws_the_bar_and_its_interval_to_scale() -> None:
    acc = accuracy(held_up=1, partially=1, did_not_hold_up=1, partial_credit=0.5)
    chart = charts.accuracy_chart(
        "c", "Accuracy", [("Ada", acc, False), ("Unattributed (panel)", None, True)]
    )
    bar, unscored = chart.bars
    # 50% of the plot's width; the whisker from 12.5334% to 87.4666% of it.
    assert bar.bar_w == pytest.approx(0.5 * charts.PLOT_W)
    assert bar.low_x == pytest.approx(charts.PLOT_X + 0.125334 * charts.PLOT_W, abs=0.1)
    assert bar.high_x == pytest.approx(charts.PLOT_X + 0.874666 * charts.PLOT_W, abs=0.1)
    assert (bar.value_text, bar.figures) == ("50%", "13%–87%  ·  n = 3")
    assert not unscored.scored and unscored.panel and unscored.bar_w == 0
    assert chart.desc == (
        "Ada: 50%, 95% interval 13%–87%, n = 3; Unattributed (panel): no scored outcomes yet."
    )
    assert chart.height == charts.TOP + 2 * charts.ROW_H + 8


def test_the_timeline_scales_columns_to_the_busiest_period() -> None:
    chart = charts.timeline_chart("t", [("2026", Tally(held_up=1, due=1, open=2)), ("2029", Tally(open=2))])
    first, second = chart.columns
    assert [(s.kind, s.count, s.h) for s in first.segments] == [
        ("resolved", 1, charts.TL_PLOT_H / 4),
        ("due", 1, charts.TL_PLOT_H / 4),
        ("open", 2, charts.TL_PLOT_H / 2),
    ]
    assert first.top == pytest.approx(chart.baseline - charts.TL_PLOT_H)
    assert second.top == pytest.approx(chart.baseline - charts.TL_PLOT_H / 2)
    assert "2026: 4 due (1 resolved, 1 waiting for review, 2 open)" in chart.desc
