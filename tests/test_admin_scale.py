"""The review queue at scale: the same number of queries whatever the number of
predictions, speakers and sources; speaker and source filters that list the most predicted
with a search box instead of a link each; a count that stops at a cap; and a search that
PostgreSQL answers from trigram indexes."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from predictions.admin.filters import MostPredictedFilter
from predictions.admin.predictions import CappedCountPaginator
from predictions.models import Attribution, Horizon, Prediction, Source, Speaker, Status
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:predictions_prediction_changelist")
VIEWS = [
    {},
    {"status": "all"},
    {"status": "open"},
    {"status": "deferred"},
    {"status": "resolved"},
    {"status": "all", "q": "quantum"},
    {"status": "all", "q": "Speaker 3"},
    {"status": "all", "speaker__id__isnull": "True"},
    {"status": "all", "due": "past", "horizon__exact": "near"},
]


@pytest.fixture
def alice_client(client: Client, reviewer) -> Client:
    client.force_login(reviewer)
    return client


def add(n: int) -> None:
    """n predictions, each with a speaker and a source of its own (so the filters would list
    n of each if they listed them all), in every status."""
    start = Prediction.objects.count()
    for i in range(start, start + n):
        speaker = Speaker.objects.create(name=f"Speaker {i}", slug=f"speaker-{i}")
        source = Source.objects.create(
            title=f"Episode {i}",
            slug=f"episode-{i}",
            url="https://example.org",
            published_on=date(2025, 1, 1),
        )
        status = [Status.OPEN, Status.DUE, Status.RESOLVED][i % 3]
        Prediction.objects.create(
            source=source,
            key=f"k{i}",
            claim=f"Claim {i} about quantum computers" if i % 2 else f"Claim {i}",
            speaker=speaker if i % 4 else None,
            attribution=Attribution.NAMED if i % 4 else Attribution.UNATTRIBUTED,
            horizon=Horizon.NEAR,
            stated_on=date(2025, 1, 1),
            due_on=date(2025, 12, 31),
            resolution_criteria="It happens.",
            status=status,
            outcome="held_up" if status == Status.RESOLVED else "",
            review_after=date(2026, 6, 1) if i % 6 == 0 else None,
        )


def keys_found(client: Client, q: str) -> set[str]:
    return {p.key for p in client.get(CHANGELIST, {"status": "all", "q": q}).context["cl"].result_list}


def queries(client: Client, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(CHANGELIST, params)
    assert response.status_code == 200, params
    return len(captured)


@pytest.mark.parametrize("params", VIEWS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "queue")
def test_every_queue_view_makes_the_same_number_of_queries_for_8_or_80_predictions(
    alice_client: Client, params: dict[str, str]
) -> None:
    add(8)
    with_8 = queries(alice_client, params)
    add(72)
    with_80 = queries(alice_client, params)
    assert with_8 == with_80
    assert with_80 <= 14


def test_the_speaker_and_source_filters_list_the_most_predicted_and_a_search_box(
    alice_client: Client, source: Source
) -> None:
    add(30)
    busiest = Speaker.objects.get(slug="speaker-29")
    for i in range(3):  # three more for one speaker: first in the list
        Prediction.objects.create(
            source=source, key=f"more-{i}", claim="More", speaker=busiest, attribution=Attribution.NAMED,
            horizon=Horizon.NEAR, stated_on=date(2025, 1, 1), due_on=date(2025, 12, 31),
            resolution_criteria="It happens.",
        )  # fmt: skip
    html = alice_client.get(CHANGELIST, {"status": "all"}).content.decode()
    speakers = re.search(r'data-filter-title="speaker".*?</details>', html, re.S).group(0)
    links = re.findall(r'<a href="([^"]*)">([^<]*)</a>', speakers)
    # All, the top ten, and the predictions said on the panel.
    assert len(links) == MostPredictedFilter.TOP + 2
    assert links[1] == (f"?speaker__id__exact={busiest.pk}&amp;status=all", "Speaker 29")
    assert links[-1][1] == "Unattributed (panel)"
    assert 'class="admin-autocomplete"' in speakers and 'data-field-name="speaker"' in speakers
    assert f'data-picked-url="?speaker__id__exact={MostPredictedFilter.PICKED}&amp;status=all"' in speakers
    sources = re.search(r'data-filter-title="source".*?</details>', html, re.S).group(0)
    assert len(re.findall(r"<a href=", sources)) == MostPredictedFilter.TOP + 1
    # The search box runs from the admin's own scripts and ours, never inline script.
    assert "admin/js/autocomplete.js" in html and "predictions/admin_filters.js" in html
    assert "<script>" not in speakers


def test_a_speaker_chosen_by_search_is_listed_and_selected(alice_client: Client) -> None:
    add(40)
    quiet = Speaker.objects.create(name="Quiet Speaker", slug="quiet")
    Prediction.objects.filter(key="k1").update(speaker=quiet)
    response = alice_client.get(CHANGELIST, {"status": "all", "speaker__id__exact": str(quiet.pk)})
    assert [p.key for p in response.context["cl"].result_list] == ["k1"]
    html = response.content.decode()
    speakers = re.search(r'data-filter-title="speaker".*?</details>', html, re.S).group(0)
    assert re.search(r'<li class="selected">\s*<a href="[^"]*">Quiet Speaker</a>', speakers)


def test_the_count_stops_at_the_cap(alice_client: Client, monkeypatch: Any) -> None:
    monkeypatch.setattr(CappedCountPaginator, "cap", 5)
    monkeypatch.setattr("predictions.admin.PredictionAdmin.list_per_page", 2)
    add(9)
    response = alice_client.get(CHANGELIST, {"status": "all", "q": "claim"})
    html = response.content.decode()
    assert "more than 5 results" in html and "more than 5 predictions" in html
    assert response.context["cl"].result_count == 6  # counted up to cap + 1, no further
    # Pages still work as far as the count reached.
    page = alice_client.get(CHANGELIST, {"status": "all", "q": "claim", "p": "3"})
    assert len(page.context["cl"].result_list) == 2

    few = alice_client.get(CHANGELIST, {"status": "all", "q": "Claim 1"}).content.decode()
    assert "more than" not in few


def test_search_needs_every_word_somewhere_in_claim_quote_or_speaker(alice_client: Client) -> None:
    add(12)

    def found(q: str) -> set[str]:
        return keys_found(alice_client, q)

    assert found("Speaker 7") == {"k7"} | {f"k{i}" for i in range(12) if "7" in f"Claim {i}" and i % 4}
    assert found("quantum 11") == {"k11"}
    assert found('"about quantum"') == {f"k{i}" for i in range(1, 12, 2)}
    assert found("nothing-like-this") == set()


@requires_postgres
def test_postgresql_answers_the_search_from_the_trigram_indexes(alice_client: Client) -> None:
    add(20)
    Prediction.objects.filter(key="k3").update(quote="A QUANTUM leap", claim="Something")
    jones = Speaker.objects.create(name="Quantum Jones", slug="jones")
    Prediction.objects.filter(key="k4").update(speaker=jones, attribution=Attribution.NAMED)
    assert keys_found(alice_client, "quantum") == {f"k{i}" for i in range(1, 20, 2)} | {"k4"}

    model_admin = admin.site.get_model_admin(Prediction)
    searched, _ = model_admin.get_search_results(None, Prediction.objects.order_by(), "quantum")
    with connection.cursor() as cursor:
        # A tiny table: make the planner show which indexes can answer the WHERE clause.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = searched.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "BitmapOr" in plan, plan
    for index in ("prediction_claim_trgm", "prediction_quote_trgm", "prediction_speaker_due_id"):
        assert index in plan, plan
    assert "predictions_speaker" not in plan  # the speaker's name was looked up first
