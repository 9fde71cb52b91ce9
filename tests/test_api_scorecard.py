"""The API's scorecard numbers equal the page's, on the hand-worked dataset of
tests/test_scorecard.py (partial credit 0.5)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from tests.support import cells

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scored")]


@pytest.fixture(autouse=True)
def fresh_throttle() -> None:
    cache.clear()


def pct(value: float) -> str:
    from predictions.scoring import percent

    return percent(value)


def test_the_hand_worked_numbers() -> None:
    body = Client().get("/api/scorecard").json()
    assert body["partial_credit"] == 0.5
    assert body["tally"] == {
        "tracked": 11,
        "held_up": 4,
        "partially": 1,
        "did_not_hold_up": 2,
        "unresolvable": 1,
        "open": 2,
        "due": 1,
    }
    overall = body["accuracy"]
    assert (overall["n"], overall["credited"]) == (7, 4.5)
    assert overall["value"] == pytest.approx(0.642857, abs=1e-6)
    assert (overall["low"], overall["high"]) == (
        pytest.approx(0.302560, abs=1e-6),
        pytest.approx(0.881916, abs=1e-6),
    )
    ada = body["speakers"][0]
    assert (ada["speaker"], ada["name"], ada["page"]) == (
        "ada-lovelace",
        "Ada Lovelace",
        "/speakers/ada-lovelace/",
    )
    assert (ada["accuracy"]["low"], ada["accuracy"]["high"]) == (
        pytest.approx(0.219427, abs=1e-6),
        pytest.approx(0.908101, abs=1e-6),
    )
    assert [h["horizon"] for h in ada["horizons"]] == ["near", "medium", "long"]
    assert ada["horizons"][2]["accuracy"] is None
    assert [s["speaker"] for s in body["speakers"]] == ["ada-lovelace", "grace-hopper", None]
    assert body["horizons"][2] == {
        "horizon": "long",
        "tally": {
            "tracked": 2,
            "held_up": 0,
            "partially": 0,
            "did_not_hold_up": 0,
            "unresolvable": 0,
            "open": 2,
            "due": 0,
        },
        "accuracy": None,
    }


def test_every_speaker_by_horizon_row_equals_the_pages_table() -> None:
    """Row for row, the page's speaker × horizon table rebuilt from the API's numbers."""
    html = Client().get("/scorecard/horizons/").content.decode()
    page_rows = cells(html, "by-speaker-horizon")
    labels = {"near": "Near term", "medium": "Medium term", "long": "Long term"}
    api_rows = []
    for speaker in Client().get("/api/scorecard").json()["speakers"]:
        for i, h in enumerate(speaker["horizons"]):
            t, a = h["tally"], h["accuracy"]
            pending = t["open"] + t["due"]
            numbers = [
                str(t[k]) for k in ("tracked", "held_up", "partially", "did_not_hold_up", "unresolvable")
            ]
            shown = (
                [pct(a["value"]), f"{pct(a['low'])}–{pct(a['high'])}", str(a["n"])] if a else ["—", "—", "0"]
            )
            api_rows.append(
                ([speaker["name"]] if i == 0 else []) + [labels[h["horizon"]], *numbers, str(pending), *shown]
            )
    assert api_rows == page_rows


def test_the_scorecard_takes_the_pages_filters() -> None:
    body = Client().get("/api/scorecard?source=other-talk").json()
    assert [s["speaker"] for s in body["speakers"]] == ["grace-hopper"]
    panel = Client().get("/api/scorecard?speaker=unattributed").json()
    assert panel["accuracy"]["n"] == 2
    bad = Client().get("/api/scorecard?speaker=nobody")
    assert (bad.status_code, bad.json()["parameter"]) == (400, "speaker")
