"""The public pages on a small hand-made dataset: exact counts, accuracies and intervals,
filters, escaping, the per-speaker and per-prediction pages, and a query count that does
not grow with the number of predictions.

The dataset (the `scored` fixture, tests/conftest.py), partial credit 0.5:

    speaker   horizon  outcomes                                     source
    Ada       near     held up, held up, did not hold up            test-podcast
    Ada       medium   partially, unresolvable                      test-podcast
    Ada       long     open                                         test-podcast
    Grace     near     held up                                      other-talk
    Grace     near     due (waiting for review)                     test-podcast
    (panel)   near     did not hold up                              test-podcast
    (panel)   medium   held up                                      test-podcast
    (panel)   long     open                                         test-podcast

Wilson intervals, z² = 3.841459 (see tests/test_scoring.py for the formula):
    Ada   (2 + 0.5) / 4 = 0.625: centre (0.625 + 0.480182) / 1.960365 = 0.563764,
          half 0.999789 · sqrt(0.058594 + 0.060023) = 0.344337 -> 0.219427 .. 0.908101
    Grace 1 / 1: centre (1 + 1.920729) / 4.841459 = 0.603275,
          half 0.404829 · sqrt(0 + 0.960365) = 0.396725 -> 0.206550 .. 1
    panel 1 / 2 = 0.5: centre 0.5, half 0.671050 · sqrt(0.125 + 0.240091) = 0.405469 -> 0.094531 .. 0.905469
    all   (4 + 0.5) / 7 = 0.642857: centre (0.642857 + 0.274390) / 1.548780 = 0.592238,
          half 1.265491 · sqrt(0.032799 + 0.019599) = 0.289678 -> 0.302560 .. 0.881916
    near  3 / 5 = 0.6: centre (0.6 + 0.384146) / 1.768292 = 0.556552,
          half 1.108394 · sqrt(0.048 + 0.038415) = 0.325827 -> 0.230724 .. 0.882379
    medium (1 + 0.5) / 2 = 0.75: centre (0.75 + 0.960365) / 2.920729 = 0.585595,
          half 0.671050 · sqrt(0.09375 + 0.240091) = 0.387728 -> 0.197867 .. 0.973323
    long  nothing scored: no accuracy.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from predictions.decisions import Actor, resolve
from predictions.links import timestamped_url
from predictions.models import (
    Outcome,
    Prediction,
    Source,
    Speaker,
)
from predictions.scoring import Tally
from predictions.tasks import flag_due, flag_one
from tests.support import AT, cells, make_many

pytestmark = pytest.mark.django_db


def get(url: str) -> object:
    return Client().get(url)


def test_the_totals_count_every_state(scored) -> None:
    response = get("/scorecard/")
    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals == Tally(held_up=4, partially=1, did_not_hold_up=2, unresolvable=1, open=2, due=1)
    assert (totals.tracked, totals.resolved) == (11, 8)
    html = response.content.decode()
    shown = dict(re.findall(r'data-total="(\w+)">(\d+)<', html))
    assert shown == {
        "tracked": "11",
        "resolved": "8",
        "held_up": "4",
        "partially": "1",
        "did_not_hold_up": "2",
        "unresolvable": "1",
        "open": "2",
        "due": "1",
    }


def test_the_overall_accuracy_carries_its_interval_and_n(scored) -> None:
    response = get("/scorecard/")
    overall = response.context["overall"]
    assert overall.value == pytest.approx(4.5 / 7)
    assert (overall.low, overall.high) == pytest.approx((0.302560, 0.881916), abs=1e-5)
    assert overall.n == 7
    html = response.content.decode()
    assert '<strong data-overall="value">64%</strong>' in html
    assert '<span data-overall="interval">30%–88%</span>' in html
    assert '<span data-overall="n">7</span>' in html


def test_the_speaker_table_has_exact_counts_and_the_panel_as_its_own_last_row(scored) -> None:
    response = get("/scorecard/")
    rows = response.context["speaker_rows"]
    # Ordered by the interval's lower bound: Ada 0.2194 before Grace 0.2066; the panel last.
    assert [r.label for r in rows] == ["Ada Lovelace", "Grace Hopper", "Unattributed (panel)"]
    ada, grace, panel = rows
    assert ada.tally == Tally(held_up=2, partially=1, did_not_hold_up=1, unresolvable=1, open=1)
    assert (ada.accuracy.value, ada.accuracy.n) == (0.625, 4)
    assert (ada.accuracy.low, ada.accuracy.high) == pytest.approx((0.219427, 0.908101), abs=1e-5)
    assert grace.tally == Tally(held_up=1, due=1)
    assert (grace.accuracy.low, grace.accuracy.high) == pytest.approx((0.206550, 1.0), abs=1e-5)
    assert panel.panel and panel.tally == Tally(held_up=1, did_not_hold_up=1, open=1)
    assert (panel.accuracy.low, panel.accuracy.high) == pytest.approx((0.094531, 0.905469), abs=1e-5)
    #        tracked held partially did-not unresolvable pending accuracy interval n
    assert cells(response.content.decode(), "by-speaker") == [
        ["Ada Lovelace", "6", "2", "1", "1", "1", "1", "63%", "22%–91%", "4"],
        ["Grace Hopper", "2", "1", "0", "0", "0", "1", "100%", "21%–100%", "1"],
        ["Unattributed (panel)", "3", "1", "0", "1", "0", "1", "50%", "9%–91%", "2"],
    ]


def test_the_horizon_table_shows_every_horizon_even_unscored(scored) -> None:
    response = get("/scorecard/")
    assert cells(response.content.decode(), "by-horizon") == [
        ["Near term", "6", "3", "0", "2", "0", "1", "60%", "23%–88%", "5"],
        ["Medium term", "3", "1", "1", "0", "1", "0", "75%", "20%–97%", "2"],
        ["Long term", "2", "0", "0", "0", "0", "2", "—", "—", "0"],
    ]
    near, medium, long = response.context["horizon_rows"]
    assert (near.accuracy.low, near.accuracy.high) == pytest.approx((0.230724, 0.882379), abs=1e-5)
    assert (medium.accuracy.low, medium.accuracy.high) == pytest.approx((0.197867, 0.973323), abs=1e-5)
    assert long.accuracy is None


def test_speaker_by_horizon_splits_each_record(scored) -> None:
    html = get("/scorecard/horizons/").content.decode()
    rows = cells(html, "by-speaker-horizon")
    # The first row of each speaker carries the speaker's name (rowspan).
    assert rows == [
        ["Ada Lovelace", "Near term", "3", "2", "0", "1", "0", "0", "67%", "21%–94%", "3"],
        ["Medium term", "2", "0", "1", "0", "1", "0", "50%", "5%–95%", "1"],
        ["Long term", "1", "0", "0", "0", "0", "1", "—", "—", "0"],
        ["Grace Hopper", "Near term", "2", "1", "0", "0", "0", "1", "100%", "21%–100%", "1"],
        ["Unattributed (panel)", "Near term", "1", "0", "0", "1", "0", "0", "0%", "0%–79%", "1"],
        ["Medium term", "1", "1", "0", "0", "0", "0", "100%", "21%–100%", "1"],
        ["Long term", "1", "0", "0", "0", "0", "1", "—", "—", "0"],
    ]


def test_the_timeline_groups_due_dates_by_year_then_decade(scored) -> None:
    response = get("/scorecard/timeline/")
    periods = dict(response.context["due_periods"])
    assert list(periods) == ["2026", "2029", "2040s", "2120s"]
    assert periods["2026"] == Tally(held_up=3, did_not_hold_up=2, due=1)
    assert periods["2120s"] == Tally(open=1)
    html = response.content.decode()
    assert '<title id="timeline-title">When predictions come due</title>' in html
    assert "2026: 6 due (5 resolved, 1 waiting for review, 0 open)" in html


def test_the_charts_have_text_alternatives_with_the_numbers(scored) -> None:
    html = get("/scorecard/").content.decode()
    assert html.count('role="img"') == 2  # by speaker, by horizon; the timeline has its page
    assert '<title id="speaker-chart-title">Accuracy by speaker, with 95% intervals</title>' in html
    assert "Ada Lovelace: 63%, 95% interval 22%–91%, n = 4" in html
    assert "Long term: no scored outcomes yet" in html
    every = get("/scorecard/speakers/").content.decode()
    assert every.count('role="img"') == 1
    assert "Ada Lovelace: 63%, 95% interval 22%–91%, n = 4" in every
    timeline = get("/scorecard/timeline/").content.decode()
    assert timeline.count('role="img"') == 1
    assert "2026: 6 due (5 resolved, 1 waiting for review, 0 open)" in timeline


def test_the_home_page_is_the_scorecard(scored) -> None:
    home, scorecard = get("/"), get("/scorecard/")
    assert home.status_code == 200
    assert home.context["totals"] == scorecard.context["totals"]
    assert home.templates[0].name == "predictions/scorecard.html"


def test_the_next_ones_coming_due_are_listed_with_dates(scored) -> None:
    response = get("/scorecard/")
    assert [p.pk for p in response.context["coming_due"]] == [scored["ada-6"].pk, scored["panel-3"].pk]
    html = response.content.decode()
    assert '<time datetime="2046-01-31">31 Jan 2046</time>' in html
    assert '<time datetime="2126-01-31">31 Jan 2126</time>' in html


def test_without_probabilities_there_is_no_brier_score(scored) -> None:
    html = get("/scorecard/calibration/").content.decode()
    assert "No probabilities given" in html
    assert 'id="brier"' not in html


def test_stated_probabilities_give_a_brier_score(scored) -> None:
    # Ada's held-up ada-1 at 0.8 and did-not ada-3 at 0.3; the open ada-6 at 0.9 is not scored.
    # Brier = ((0.8 − 1)² + (0.3 − 0)²) / 2 = (0.04 + 0.09) / 2 = 0.065
    for key, p in (("ada-1", "0.8"), ("ada-3", "0.3"), ("ada-6", "0.9")):
        Prediction.objects.filter(pk=scored[key].pk).update(probability=Decimal(p))
    response = get("/scorecard/calibration/")
    assert response.context["brier"] == pytest.approx(0.065)
    assert (response.context["probabilities_given"], response.context["probabilities_scored"]) == (3, 2)
    html = response.content.decode()
    assert '<strong id="brier">0.065</strong>' in html
    assert cells(html, "calibration")[1] == ["20%–40%", "1", "30%", "0%", "0%–79%"]


def test_a_partial_outcome_enters_the_pages_brier_score_with_its_credit(scored, settings) -> None:
    # ada-1 held up at 0.8: 0.04; ada-4 partially at 0.9, credit 0.5: (0.9 − 0.5)² = 0.16.
    # Brier = 0.20 / 2 = 0.1. With credit 0.25: (0.9 − 0.25)² = 0.4225, (0.04 + 0.4225) / 2 = 0.23125.
    for key, p in (("ada-1", "0.8"), ("ada-4", "0.9")):
        Prediction.objects.filter(pk=scored[key].pk).update(probability=Decimal(p))
    response = get("/scorecard/calibration/")
    assert response.context["brier"] == pytest.approx(0.1)
    assert '<strong id="brier">0.100</strong>' in response.content.decode()
    settings.PARTIAL_CREDIT = 0.25
    assert get("/scorecard/calibration/").context["brier"] == pytest.approx(0.23125)


def test_filter_by_source(scored) -> None:
    response = get("/scorecard/?source=other-talk")
    assert response.context["totals"] == Tally(held_up=1)
    assert [r.label for r in response.context["speaker_rows"]] == ["Grace Hopper"]


def test_filter_by_speaker(scored) -> None:
    response = get("/scorecard/?speaker=grace-hopper")
    assert response.context["totals"] == Tally(held_up=1, due=1)
    assert 'value="grace-hopper" selected' in response.content.decode()


def test_filter_by_source_and_speaker_together(scored) -> None:
    response = get("/scorecard/?source=test-podcast&speaker=grace-hopper")
    assert response.context["totals"] == Tally(due=1)


def test_filter_to_the_unattributed_predictions(scored) -> None:
    response = get("/scorecard/?speaker=unattributed")
    assert response.context["totals"] == Tally(held_up=1, did_not_hold_up=1, open=1)
    assert [r.label for r in response.context["speaker_rows"]] == ["Unattributed (panel)"]


@pytest.mark.parametrize(
    ("query", "name", "value"), [("speaker=nobody", "speaker", "nobody"), ("source=nope", "source", "nope")]
)
def test_an_unknown_filter_value_is_a_clear_400(scored, query: str, name: str, value: str) -> None:
    response = get(f"/scorecard/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Unknown {name} “{value}”" in html
    # It says what would have worked.
    assert "grace-hopper" in html if name == "speaker" else "other-talk" in html


def test_a_speaker_page_shows_only_that_speakers_record(scored) -> None:
    response = get("/speakers/ada-lovelace/")
    assert response.status_code == 200
    assert response.context["tally"] == Tally(
        held_up=2, partially=1, did_not_hold_up=1, unresolvable=1, open=1
    )
    html = response.content.decode()
    assert '<strong data-overall="value">63%</strong>' in html
    assert '<span data-overall="interval">22%–91%</span>' in html
    listed = {p.pk for p in response.context["page"].object_list}
    assert listed == {scored[f"ada-{i}"].pk for i in range(1, 7)}
    assert cells(html, "by-horizon")[0] == ["Near term", "3", "2", "0", "1", "0", "0", "67%", "21%–94%", "3"]


def test_an_unknown_speaker_page_is_404(scored) -> None:
    assert get("/speakers/nobody/").status_code == 404


def test_the_unattributed_page_never_mixes_in_a_person(scored) -> None:
    response = get("/unattributed/")
    assert response.status_code == 200
    assert response.context["label"] == "Unattributed (panel)"
    assert {p.pk for p in response.context["page"].object_list} == {
        scored[f"panel-{i}"].pk for i in (1, 2, 3)
    }
    assert response.context["tally"] == Tally(held_up=1, did_not_hold_up=1, open=1)


def test_a_claim_with_a_script_tag_is_shown_as_text(make_prediction, speaker: Speaker) -> None:
    speaker.name = "Eve <b>bold</b>"
    speaker.save()
    p = make_prediction(
        claim="<script>alert('claim')</script> will happen",
        quote='"<img src=x onerror=alert(1)>"',
        speaker=speaker,
        resolution_criteria="<script>alert('criteria')</script>",
    )
    for url in ("/scorecard/", p.get_absolute_url(), f"/speakers/{speaker.slug}/"):
        html = get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<b>bold</b>" not in html, url
        assert "Eve &lt;b&gt;bold&lt;/b&gt;" in html, url
    detail = get(p.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&#x27;claim&#x27;)&lt;/script&gt; will happen" in detail
    assert "<img src=x" not in detail


def test_the_prediction_page_shows_everything_and_the_public_history(
    make_prediction, speaker: Speaker, reviewer
) -> None:
    source = Source.objects.create(
        title="A video",
        slug="a-video",
        url="https://www.youtube.com/watch?v=EV7WhVT270Q",
        published_on=date(2026, 1, 31),
    )
    p = make_prediction(
        source=source,
        speaker=speaker,
        section="Timeline › Near-Term",
        source_timestamp=754,
        quote="Said like this.",
        horizon_as_said="this year",
    )
    flag_due(date(2027, 1, 1))
    p.refresh_from_db()
    resolve(
        p,
        outcome=Outcome.PARTIALLY,
        note="Half of it happened.",
        actor=Actor.of(reviewer),
        evidence=["https://example.org/evidence", "javascript:alert(1)"],
        at=AT,
    )
    html = get(p.get_absolute_url()).content.decode()
    for expected in (
        p.claim,
        "Said like this.",
        f'href="/speakers/{speaker.slug}/">Ada Lovelace</a>',
        'href="https://www.youtube.com/watch?v=EV7WhVT270Q&amp;t=754s"',
        "at 12:34",
        "Timeline › Near-Term",
        "Near term",
        "“this year”",
        '<time datetime="2026-01-31">31 Jan 2026</time>',
        '<time datetime="2026-12-31">31 Dec 2026</time>',
        "It visibly happens.",
        "Partially held up",
        "Half of it happened.",
        '<a href="https://example.org/evidence" rel="nofollow">https://example.org/evidence</a>',
    ):
        assert expected in html, expected
    history = html.split('id="history"', 1)[1]
    assert history.index("Flagged due for review") < history.index("Resolved")
    assert '<span class="actor">Scheduler</span>' in history
    assert '<span class="actor">Reviewer</span>' in history
    # The reviewer's user name never reaches the public page; a javascript: link stays text.
    assert "alice" not in html
    assert 'href="javascript:' not in html
    assert "<li>javascript:alert(1)</li>" in html


def test_an_unknown_prediction_is_404(db) -> None:
    assert get("/predictions/999999/").status_code == 404


@pytest.mark.parametrize(
    ("url", "seconds", "expected"),
    [
        ("https://www.youtube.com/watch?v=abc", 90, "https://www.youtube.com/watch?v=abc&t=90s"),
        ("https://www.youtube.com/watch?v=abc&t=5s", 90, "https://www.youtube.com/watch?v=abc&t=90s"),
        ("https://youtu.be/abc", 0, "https://youtu.be/abc?t=0s"),
        ("https://example.org/episode", 90, "https://example.org/episode"),
        ("https://www.youtube.com/watch?v=abc", None, "https://www.youtube.com/watch?v=abc"),
    ],
)
def test_a_youtube_source_links_to_the_moment(url: str, seconds: int | None, expected: str) -> None:
    assert timestamped_url(url, seconds) == expected


def queries_for(url: str) -> tuple[int, object]:
    client = Client()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.parametrize(
    ("url", "share"),
    [
        ("/scorecard/", 1),
        ("/scorecard/?speaker=unattributed", 5),
        ("/scorecard/speakers/", 1),
        ("/scorecard/horizons/", 1),
        ("/scorecard/stances/", 1),
        ("/scorecard/coming-due/", 1),
        ("/scorecard/timeline/", 1),
        ("/scorecard/calibration/?speaker=unattributed", 5),
        ("/unattributed/", 5),
        ("/speakers/speaker-0/", 5),
    ],
)
def test_the_number_of_queries_is_the_same_at_10_and_1000_predictions(
    source: Source, url: str, share: int
) -> None:
    speakers = [Speaker.objects.create(name=f"Speaker {i}", slug=f"speaker-{i}") for i in range(4)]
    make_many(10, source, speakers)
    at_10, response = queries_for(url)
    # The page really counted them: all, or the fifth that belongs to one speaker (or the panel).
    assert tracked(response) == 10 // share

    Prediction.objects.all().delete()
    make_many(1000, source, speakers)
    at_1000, response = queries_for(url)
    assert tracked(response) == 1000 // share
    assert at_1000 == at_10
    if url == "/scorecard/stances/":  # the stances were counted too, whatever their number
        assert sum(row.agrees + row.disputes for row in response.context["stance_rows"]) == 1000


def tracked(response: object) -> int:
    context = response.context
    return (context.get("totals") or context.get("tally")).tracked


def test_the_public_pages_answer_head_and_refuse_post(scored) -> None:
    client = Client()
    assert client.head("/scorecard/").status_code == 200
    assert client.post("/scorecard/").status_code == 405


def test_the_history_says_which_time_zone_its_times_are_in(make_prediction, settings) -> None:
    # TIME_ZONE comes from the environment: 12:00 UTC is 07:00 in New York, and says so.
    settings.TIME_ZONE = "America/New_York"
    p = make_prediction()
    flag_one(p.pk, date(2027, 1, 1), at=datetime(2027, 1, 2, 12, 0, tzinfo=UTC))
    html = get(p.get_absolute_url()).content.decode()
    assert '<time datetime="2027-01-02T07:00:00-05:00">2 Jan 2027, 07:00 EST</time>' in html
    settings.TIME_ZONE = "UTC"
    html = get(p.get_absolute_url()).content.decode()
    assert '<time datetime="2027-01-02T12:00:00+00:00">2 Jan 2027, 12:00 UTC</time>' in html
