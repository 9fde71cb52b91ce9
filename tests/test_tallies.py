"""What predictions/tallies.py answers for a set of filters, worked out by hand on six
predictions, and which grain of the tally it reads. That the tally itself is exact, and that
it answers as counting the predictions would for any filters: tests/test_tally.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from predictions.filtering import ATTESTED_VALUE, Filters
from predictions.models import (
    UNATTRIBUTED,
    Attribution,
    Grain,
    Horizon,
    Outcome,
    Prediction,
    Source,
    Speaker,
    Status,
    UnresolvableReason,
)
from predictions.scoring import Stated, Tally
from predictions.tallies import grain_for, most_predicted, stated, tallies

pytestmark = pytest.mark.django_db


@pytest.fixture
def six(make_prediction, speaker: Speaker, source: Source) -> dict[str, Prediction]:
    """Ada (named): near held up at 0.8, near did not at 0.3, medium open. Grace (inferred,
    another source): near partially at 0.6. The panel: long due, near unresolvable."""
    grace = Speaker.objects.create(name="Grace Hopper", slug="grace-hopper")
    other = Source.objects.create(
        title="Other talk", slug="other-talk", url="https://example.org/t", published_on=date(2026, 1, 31)
    )

    def resolved(outcome: str, **fields: Any) -> Prediction:
        reason = UnresolvableReason.TOO_VAGUE if outcome == Outcome.UNRESOLVABLE else ""
        return make_prediction(status=Status.RESOLVED, outcome=outcome, unresolvable_reason=reason, **fields)

    return {
        "ada_held": resolved(Outcome.HELD_UP, speaker=speaker, probability=Decimal("0.8")),
        "ada_not": resolved(Outcome.DID_NOT_HOLD_UP, speaker=speaker, probability=Decimal("0.3")),
        "ada_open": make_prediction(speaker=speaker, horizon=Horizon.MEDIUM, due_on=date(2029, 1, 31)),
        "grace": resolved(
            Outcome.PARTIALLY,
            speaker=grace,
            attribution=Attribution.INFERRED,
            source=other,
            probability=Decimal("0.6"),
        ),
        "panel_due": make_prediction(status=Status.DUE, horizon=Horizon.LONG, due_on=date(2046, 1, 31)),
        "panel_vague": resolved(Outcome.UNRESOLVABLE),
    }


def keyed(rows: list[dict[str, Any]], *names: str) -> dict[Any, Any]:
    """{group value (or tuple of values): the row's tally or stated sums}."""
    out = {}
    for row in rows:
        key = tuple(row[n] for n in names)
        out[key[0] if len(key) == 1 else key] = row.get("tally", row.get("stated"))
    return out


def test_with_no_groups_it_is_one_row_of_everything(six) -> None:
    assert tallies(Filters()) == [
        {"tally": Tally(held_up=1, partially=1, did_not_hold_up=1, unresolvable=1, open=1, due=1)}
    ]


def test_with_nothing_to_count_there_are_no_rows(six) -> None:
    assert tallies(Filters(horizon=Horizon.LONG, speaker="ada-lovelace")) == []
    assert tallies(Filters(horizon=Horizon.LONG, speaker="ada-lovelace"), ("horizon",)) == []


def test_a_speaker_by_horizon(six) -> None:
    assert keyed(tallies(Filters(speaker="ada-lovelace"), ("horizon",)), "horizon") == {
        Horizon.NEAR: Tally(held_up=1, did_not_hold_up=1),
        Horizon.MEDIUM: Tally(open=1),
    }


def test_the_panel_by_horizon(six) -> None:
    assert keyed(tallies(Filters(speaker=UNATTRIBUTED), ("horizon",)), "horizon") == {
        Horizon.LONG: Tally(due=1),
        Horizon.NEAR: Tally(unresolvable=1),
    }


def test_every_speaker_and_the_panel_by_name(six) -> None:
    assert keyed(
        tallies(Filters(), ("speaker__slug", "speaker__name")), "speaker__slug", "speaker__name"
    ) == {
        ("ada-lovelace", "Ada Lovelace"): Tally(held_up=1, did_not_hold_up=1, open=1),
        ("grace-hopper", "Grace Hopper"): Tally(partially=1),
        (None, None): Tally(unresolvable=1, due=1),
    }


def test_a_source_by_speaker(six) -> None:
    assert keyed(tallies(Filters(source="other-talk"), ("speaker__slug",)), "speaker__slug") == {
        "grace-hopper": Tally(partially=1)
    }


def test_attested_leaves_out_the_inferred_and_keeps_the_panel(six) -> None:
    assert keyed(tallies(Filters(attribution=ATTESTED_VALUE), ("speaker__slug",)), "speaker__slug") == {
        "ada-lovelace": Tally(held_up=1, did_not_hold_up=1, open=1),
        None: Tally(unresolvable=1, due=1),
    }


def test_by_due_year(six) -> None:
    assert keyed(tallies(Filters(), ("due_year",)), "due_year") == {
        2026: Tally(held_up=1, did_not_hold_up=1, partially=1, unresolvable=1),
        2029: Tally(open=1),
        2046: Tally(due=1),
    }


def test_stated_sums_each_outcome_and_bucket_in_thousandths(six) -> None:
    rows = stated(Filters(speaker="ada-lovelace"))
    assert keyed(rows, "state", "probability_bin") == {
        (Outcome.HELD_UP, 4): Stated(1, 800, 640_000),
        (Outcome.DID_NOT_HOLD_UP, 1): Stated(1, 300, 90_000),
    }
    by_speaker = keyed(stated(Filters(), ("speaker__slug",)), "speaker__slug", "state", "probability_bin")
    assert by_speaker == {
        ("ada-lovelace", Outcome.HELD_UP, 4): Stated(1, 800, 640_000),
        ("ada-lovelace", Outcome.DID_NOT_HOLD_UP, 1): Stated(1, 300, 90_000),
        ("grace-hopper", Outcome.PARTIALLY, 3): Stated(1, 600, 360_000),
    }


def test_a_selection_of_predictions_is_counted_from_the_predictions(six) -> None:
    chosen = Filters(predictions=[six["ada_held"].pk, six["panel_due"].pk])
    assert grain_for(chosen) is None
    with CaptureQueriesContext(connection) as captured:
        assert keyed(tallies(chosen, ("horizon",)), "horizon") == {
            Horizon.NEAR: Tally(held_up=1),
            Horizon.LONG: Tally(due=1),
        }
    assert ["predictions_prediction" in q["sql"] for q in captured.captured_queries] == [True]
    assert keyed(stated(chosen), "state", "probability_bin") == {
        (Outcome.HELD_UP, 4): Stated(1, 800, 640_000)
    }


# --- which grain answers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "group_by", "grain"),
    [
        (Filters(), (), Grain.HORIZON),
        (Filters(speaker="ada-lovelace", attribution=Attribution.NAMED), ("horizon",), Grain.HORIZON),
        (Filters(), ("speaker__slug", "probability_bin"), Grain.HORIZON),
        (Filters(), ("due_year",), Grain.YEAR),
        (Filters(speaker=UNATTRIBUTED), ("due_year",), Grain.YEAR),
        (Filters(source="other-talk"), (), Grain.SOURCES),
        (Filters(), ("source__slug",), Grain.SOURCES),
        (Filters(source="other-talk"), ("horizon",), Grain.SOURCE),
        (Filters(horizon=Horizon.NEAR), ("due_year",), Grain.SOURCE),
        (Filters(predictions=[1, 2]), ("horizon",), None),
    ],
)
def test_the_smallest_grain_that_keeps_every_dimension_named_answers(
    filters: Filters, group_by: tuple[str, ...], grain: Grain | None
) -> None:
    assert grain_for(filters, group_by) == grain


def test_it_reads_only_the_chosen_grain_of_the_tally(six) -> None:
    with CaptureQueriesContext(connection) as captured:
        tallies(Filters(source="other-talk"), ("speaker__slug",))
    [query] = captured.captured_queries
    assert "predictions_tally" in query["sql"] and "predictions_prediction" not in query["sql"]
    assert f""""grain" = '{Grain.SOURCE.value}'""" in query["sql"]


def test_it_refuses_what_the_tally_cannot_mean(six) -> None:
    with pytest.raises(ValueError, match="cannot group the tally by 'status'"):
        tallies(Filters(), ("status",))
    with pytest.raises(ValueError, match="since and until select events"):
        tallies(Filters(since=date(2026, 1, 1)))
    with pytest.raises(ValueError, match="grain does not keep"):
        tallies(Filters(speaker="ada-lovelace"), grain=Grain.SOURCES)


def test_the_most_predicted_come_first(six) -> None:
    assert [slug for _, slug, _ in most_predicted("speaker", 5)] == ["ada-lovelace", "grace-hopper"]
    assert [slug for _, slug, _ in most_predicted("speaker", 1)] == ["ada-lovelace"]
    assert [slug for _, slug, _ in most_predicted("source", 5)] == ["test-podcast", "other-talk"]
