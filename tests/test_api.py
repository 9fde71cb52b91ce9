"""The public JSON API: filters, keyset pages, one prediction with its public history, a 400
naming a bad parameter, ETag / 304, the anonymous throttle, and a query count that does not
grow with the number of predictions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from predictions.actors import SCHEDULER
from predictions.decisions import Actor, resolve
from predictions.models import Horizon, Outcome, Prediction, Speaker, Status
from predictions.tasks import flag_due

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttle() -> None:
    cache.clear()


def get(url: str, **headers: str):
    return Client().get(url, **headers)


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


def test_speakers_and_sources_are_listed(seeded) -> None:
    speakers = get("/api/speakers").json()
    assert [s["slug"] for s in speakers] == ["lex-fridman", "nathan-lambert", "sebastian-raschka"]
    assert speakers[1]["page"] == "/speakers/nathan-lambert/"
    sources = get("/api/sources").json()
    assert [(s["slug"], s["published_on"]) for s in sources] == [("lex-fridman-490", "2026-01-31")]


def test_the_list_filters_by_speaker_horizon_status_and_due_range(make_prediction, speaker: Speaker) -> None:
    ada_near = make_prediction(speaker=speaker, due_on=date(2026, 6, 1))
    ada_long = make_prediction(speaker=speaker, horizon=Horizon.LONG, due_on=date(2046, 1, 31))
    panel = make_prediction(due_on=date(2026, 3, 1), status=Status.DUE)
    assert ids(get("/api/predictions?speaker=ada-lovelace")) == [ada_near.pk, ada_long.pk]
    assert ids(get("/api/predictions?speaker=unattributed")) == [panel.pk]
    assert ids(get("/api/predictions?horizon=long")) == [ada_long.pk]
    assert ids(get("/api/predictions?status=due")) == [panel.pk]
    assert ids(get("/api/predictions?due_from=2026-04-01&due_to=2030-01-01")) == [ada_near.pk]
    assert ids(get("/api/predictions?source=test-podcast&ordering=-due_on")) == [
        ada_long.pk,
        ada_near.pk,
        panel.pk,
    ]
    assert get("/api/predictions?speaker=ada-lovelace").json()["total"] == 2


def test_the_cursor_walks_every_prediction_once_in_order(make_prediction) -> None:
    made = [make_prediction(due_on=date(2026, 12, 1 + i % 3)) for i in range(7)]
    expected = [p.pk for p in sorted(made, key=lambda p: (p.due_on, p.pk))]
    for ordering, order in (("due_on", expected), ("-due_on", expected[::-1])):
        seen: list[int] = []
        url = f"/api/predictions?limit=3&ordering={ordering}"
        while url:
            page = get(url).json()
            assert page["total"] == 7
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            url = f"/api/predictions?limit=3&ordering={ordering}&cursor={cursor}" if cursor else ""
        assert seen == order


def test_one_prediction_comes_with_its_public_history(make_prediction, speaker, reviewer) -> None:
    prediction = make_prediction(speaker=speaker, due_on=date(2026, 12, 31), probability="0.7")
    flag_due(as_of=date(2027, 1, 1))
    prediction.refresh_from_db()
    resolve(
        prediction,
        outcome=Outcome.PARTIALLY,
        note="Half of it.",
        evidence=["https://example.org/a", "javascript:alert(1)"],
        actor=Actor(user=reviewer, name="alice"),
        at=datetime(2027, 1, 3, tzinfo=UTC),
    )
    body = get(f"/api/predictions/{prediction.pk}").json()
    assert body["speaker"] == "ada-lovelace" and body["speaker_name"] == "Ada Lovelace"
    assert (body["status"], body["outcome"], body["probability"]) == ("resolved", "partially", "0.700")
    assert body["page"] == f"/predictions/{prediction.pk}/"
    assert [(e["kind"], e["actor"]) for e in body["history"]] == [
        ("flagged", "Scheduler"),
        ("resolved", "Reviewer"),
    ]
    assert body["history"][1]["evidence"] == ["https://example.org/a", "javascript:alert(1)"]
    assert body["history"][1]["note"] == "Half of it."
    assert SCHEDULER.name == "scheduler"


def test_an_unknown_prediction_is_a_404(db) -> None:
    response = get("/api/predictions/999999")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("horizon=someday", "horizon"),
        ("status=maybe", "status"),
        ("due_from=31-12-2026", "due_from"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("ordering=claim", "ordering"),
        ("speaker=nobody", "speaker"),
        ("source=nowhere", "source"),
        ("cursor=%%%", "cursor"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(db, query: str, parameter: str) -> None:
    response = get(f"/api/predictions?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == parameter
    assert body["detail"].startswith(f"Invalid value for parameter '{parameter}': ")


def test_a_repeated_get_with_the_etag_is_a_304(seeded) -> None:
    for url in ("/api/predictions?limit=5", "/api/speakers", "/api/openapi.json"):
        first = get(url)
        assert first.status_code == 200 and first["ETag"]
        again = get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304, url
        assert again.content == b""
        assert get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_the_etag_changes_when_the_data_does(make_prediction) -> None:
    prediction = make_prediction()
    etag = get("/api/predictions")["ETag"]
    Prediction.objects.filter(pk=prediction.pk).update(claim="Changed.")
    assert get("/api/predictions", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_anonymous_clients_past_the_rate_get_a_429_saying_when_to_retry(db, settings) -> None:
    settings.API_ANON_RATE = "3/min"
    with time_machine.travel(datetime(2027, 1, 1, 12, 0, tzinfo=UTC), tick=False):
        assert [get("/api/speakers").status_code for _ in range(3)] == [200, 200, 200]
        refused = get("/api/speakers")
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) == 60
        assert refused.json()["detail"]
    with time_machine.travel(datetime(2027, 1, 1, 12, 1, 1, tzinfo=UTC), tick=False):
        assert get("/api/speakers").status_code == 200


def test_the_list_makes_the_same_queries_for_3_or_30_predictions(
    make_prediction, speaker, django_assert_num_queries
) -> None:
    for n in (3, 30):
        while Prediction.objects.count() < n:
            make_prediction(speaker=speaker if Prediction.objects.count() % 2 else None)
        # speaker lookup, page (with speaker and source joined), the page's topics, total
        with django_assert_num_queries(4):
            page = get("/api/predictions?speaker=ada-lovelace&limit=100").json()
        assert page["total"] == n // 2


def test_the_docs_and_the_schema_are_served(db) -> None:
    schema = get("/api/openapi.json").json()
    assert {"/api/predictions", "/api/predictions/{prediction_id}", "/api/speakers"} <= set(schema["paths"])
    docs = get("/api/docs")
    assert docs.status_code == 200
    assert b"/api/openapi.json" in docs.content


def test_the_list_filters_by_attribution_and_the_detail_shows_stances(make_prediction, speaker) -> None:
    from predictions.models import Attribution, Stance, StanceKind

    named = make_prediction(speaker=speaker, excerpt="It will run.")
    inferred = make_prediction(speaker=speaker, attribution=Attribution.INFERRED, attribution_note="Voice.")
    panel = make_prediction()
    assert ids(get("/api/predictions?attribution=named")) == [named.pk]
    assert ids(get("/api/predictions?attribution=inferred")) == [inferred.pk]
    assert ids(get("/api/predictions?attribution=unattributed")) == [panel.pk]
    assert get("/api/predictions?attribution=guessed").json()["parameter"] == "attribution"
    grace = Speaker.objects.create(name="Grace Hopper", slug="grace-hopper")
    Stance.objects.create(prediction=named, speaker=grace, stance=StanceKind.DISPUTES, excerpt="Never.")
    body = get(f"/api/predictions/{named.pk}").json()
    assert (body["attribution"], body["excerpt"]) == ("named", "It will run.")
    assert body["stances"] == [
        {
            "speaker": "grace-hopper",
            "speaker_name": "Grace Hopper",
            "stance": "disputes",
            "source_timestamp": None,
            "excerpt": "Never.",
            "attribution": "inferred",
            "attribution_note": "",
        }
    ]


def test_the_last_page_gives_no_cursor_even_when_it_is_full(make_prediction) -> None:
    for _ in range(6):
        make_prediction()
    first = get("/api/predictions?limit=3").json()
    assert first["next_cursor"]
    last = get(f"/api/predictions?limit=3&cursor={first['next_cursor']}").json()
    assert (len(last["items"]), last["next_cursor"]) == (3, None)
