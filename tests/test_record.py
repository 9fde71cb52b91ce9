"""The record, /predictions/ (record.py, record_views.py): each filter, the search, the
cursor pages, the 400 naming a bad parameter, and a constant number of queries."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from predictions.models import Horizon, Outcome, Prediction, Status, Topic
from tests.conftest import requires_postgres
from tests.support import decided_prediction

pytestmark = pytest.mark.django_db


def shown(client: Client, **params: str) -> list[str]:
    """The claims the record lists for `params`, in order."""
    response = client.get("/predictions/", params)
    assert response.status_code == 200, response.content.decode()[:500]
    rows = re.search(
        r'<ol class="predictions record" id="record-rows">(.*?)</ol>', response.content.decode(), re.S
    )
    return re.findall(r'<a class="claim" href="/predictions/\d+/">([^<]+)</a>', rows.group(1))


@pytest.fixture
def record(make_prediction, speaker, grace, other_source) -> dict[str, Prediction]:
    compute = Topic.objects.create(slug="compute", name="Compute")
    made = {
        "engine": decided_prediction(
            make_prediction, Outcome.HELD_UP, speaker=speaker, claim="The analytical engine computes tables.",
            due_on=date(2026, 6, 30),
        ),
        "compiler": make_prediction(
            speaker=grace, claim="A compiler translates programs.", source=other_source, horizon=Horizon.MEDIUM,
            due_on=date(2029, 1, 31),
        ),
        "panel": decided_prediction(
            make_prediction, Outcome.DID_NOT_HOLD_UP, claim="Nobody will use punched cards.",
            due_on=date(2026, 3, 31),
        ),
        "due": make_prediction(
            speaker=speaker, claim="Looms weave by program.", status=Status.DUE, due_on=date(2026, 1, 31),
            stated_on=date(2025, 1, 31),
        ),
    }  # fmt: skip
    made["engine"].topics.add(compute)
    made["compiler"].topics.add(compute)
    return made


def test_it_lists_every_prediction_soonest_due_first_with_badge_and_due_date(client, record) -> None:
    assert shown(client) == [
        "Looms weave by program.",
        "Nobody will use punched cards.",
        "The analytical engine computes tables.",
        "A compiler translates programs.",
    ]
    html = client.get("/predictions/").content.decode()
    assert '<span class="badge held_up">Held up</span>' in html
    assert '<span class="badge due">Waiting for review</span>' in html
    assert '<time datetime="2029-01-31">31 Jan 2029</time>' in html
    assert 'href="/topics/compute/">Compute</a>' in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"speaker": "ada-lovelace"}, ["Looms weave by program.", "The analytical engine computes tables."]),
        ({"speaker": "unattributed"}, ["Nobody will use punched cards."]),
        ({"source": "other-talk"}, ["A compiler translates programs."]),
        ({"topic": "compute"}, ["The analytical engine computes tables.", "A compiler translates programs."]),
        ({"horizon": "medium"}, ["A compiler translates programs."]),
        ({"status": "due"}, ["Looms weave by program."]),
        ({"status": "open"}, ["A compiler translates programs."]),
        ({"outcome": "did_not_hold_up"}, ["Nobody will use punched cards."]),
        ({"due_from": "2026-03-31", "due_to": "2026-06-30"}, ["Nobody will use punched cards.", "The analytical engine computes tables."]),
        ({"due_from": "2026-04-01"}, ["The analytical engine computes tables.", "A compiler translates programs."]),
        ({"topic": "compute", "speaker": "grace-hopper"}, ["A compiler translates programs."]),
        ({"q": "compiler"}, ["A compiler translates programs."]),
        ({"q": "punched", "status": "resolved"}, ["Nobody will use punched cards."]),
        ({"q": "punched", "status": "open"}, []),
    ],
)  # fmt: skip
def test_each_filter_keeps_only_its_predictions(client, record, params, expected) -> None:
    assert shown(client, **params) == expected


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"speaker": "nobody"}, "speaker"),
        ({"topic": "nope"}, "topic"),
        ({"source": "nope"}, "source"),
        ({"horizon": "soon"}, "horizon"),
        ({"status": "closed"}, "status"),
        ({"outcome": "maybe"}, "outcome"),
        ({"due_from": "31/12/2026"}, "due_from"),
        ({"due_from": "2027-01-01", "due_to": "2026-01-01"}, "due_from"),
        ({"after": "not-a-cursor"}, "after"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_parameter(client, record, params, named) -> None:
    response = client.get("/predictions/", params)
    assert response.status_code == 400
    assert f"<h1>Cannot read <code>{named}</code></h1>" in response.content.decode()


def test_pages_follow_by_cursor_with_the_filters_kept(client, record, monkeypatch) -> None:
    monkeypatch.setattr("predictions.record_views.PAGE_SIZE", 1)
    first = client.get("/predictions/", {"speaker": "ada-lovelace"}).content.decode()
    [later] = re.findall(r'href="\?([^"]+)" rel="next"', first)
    assert "speaker=ada-lovelace" in later
    second = client.get(f"/predictions/?{later.replace('&amp;', '&')}").content.decode()
    assert "The analytical engine computes tables." in second and "Looms weave" not in second
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_the_record_makes_the_same_queries_for_4_or_44_predictions(client, record, make_prediction) -> None:
    def count(params: dict[str, str]) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/predictions/", params).status_code == 200
        return len(queries)

    filtered = {"topic": "compute", "q": "computes", "status": "resolved"}
    small, small_filtered = count({}), count(filtered)
    compute = Topic.objects.get(slug="compute")
    for i in range(40):
        made = decided_prediction(make_prediction, Outcome.HELD_UP, claim=f"Engine {i} computes.")
        made.topics.add(compute)
    assert count({}) == small
    assert count(filtered) == small_filtered


@requires_postgres
def test_the_search_reads_the_full_text_index_on_postgresql(record) -> None:
    """The search's SQL is the GIN index's expression: with sequential scans off the plan
    must use prediction_claim_search (a different expression could only scan)."""
    from predictions.record import search

    sql, params = search(Prediction.objects.all(), "compiler").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "prediction_claim_search" in plan
    assert [p.claim for p in search(Prediction.objects.all(), "compilers")] == [
        "A compiler translates programs."
    ]


def test_the_page_links_the_feeds_calendar_and_topics(client, record) -> None:
    html = client.get("/predictions/", {"topic": "compute"}).content.decode()
    assert 'id="calendar-link"' in html and 'id="feed-link"' in html
    assert 'href="/topics/compute/" id="topic-page-link"' in html
    nav = re.search(r'<nav aria-label="Site">(.*?)</nav>', html, re.S).group(1)
    assert 'href="/predictions/"' in nav and 'href="/topics/"' in nav and 'href="/sources/"' in nav
