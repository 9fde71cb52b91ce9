"""The scorecard at scale: the rendered page cached per filter under the data version every
write replaces (never a stale number), conditional requests answered 304, a cached page
that costs one small query whatever the number of predictions, and source and speaker menus
that list the top ones with a search for the rest."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from predictions.decisions import Actor, resolve
from predictions.models import Prediction, Source, Speaker, Status
from predictions.views import PICKER_SIZE
from tests.support import make_many

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def totals(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-total="(\w+)">(\d+)<', html))


def test_a_decision_shows_on_the_next_page_view_at_once(make_prediction) -> None:
    p = make_prediction(status=Status.DUE)
    client = Client()
    assert totals(client.get("/").content.decode())["held_up"] == "0"
    again = client.get("/")
    assert again.context is None, "the second view should come from the cache, not a new render"
    assert totals(again.content.decode())["held_up"] == "0"

    resolve(p, outcome="held_up", note="It happened.", actor=Actor(None, "alice"))

    shown = totals(client.get("/").content.decode())
    assert (shown["held_up"], shown["due"]) == ("1", "0")


def test_a_renamed_speaker_shows_at_once(make_prediction, speaker: Speaker) -> None:
    make_prediction(speaker=speaker)
    client = Client()
    assert "Ada Lovelace" in client.get("/").content.decode()
    Speaker.objects.filter(pk=speaker.pk).update(name="Augusta Ada King")
    html = client.get("/").content.decode()
    assert "Augusta Ada King" in html and "Ada Lovelace" not in html


def test_each_filter_is_cached_on_its_own(make_prediction, speaker: Speaker) -> None:
    make_prediction(speaker=speaker)
    make_prediction()
    client = Client()
    assert totals(client.get("/").content.decode())["tracked"] == "2"
    assert totals(client.get("/?speaker=ada-lovelace").content.decode())["tracked"] == "1"
    assert totals(client.get("/?speaker=unattributed").content.decode())["tracked"] == "1"


def test_unknown_parameters_never_force_a_fresh_render(make_prediction, speaker: Speaker) -> None:
    make_prediction(speaker=speaker)
    client = Client()
    assert client.get("/?page=8f14e45f").context is not None, "the first view renders"
    for query in ("?page=c9f0f895", "?utm_source=chat&x=1", "?speaker=", ""):
        assert client.get(f"/{query}").context is None, f"/{query} should come from the cache"
    # A filter is still its own page, and another parameter beside it changes nothing.
    assert client.get("/?speaker=ada-lovelace&page=2").context is not None
    assert client.get("/?speaker=ada-lovelace&page=3").context is None


def test_the_cached_page_links_itself_without_the_parameters_it_ignores(make_prediction, speaker) -> None:
    make_prediction(speaker=speaker)
    client = Client()
    client.get("/?speaker=ada-lovelace&page=8f14e45f")
    html = client.get("/?speaker=ada-lovelace&page=c9f0f895").content.decode()
    assert '<link rel="canonical" href="http://127.0.0.1:8000/?speaker=ada-lovelace">' in html


def test_a_conditional_get_is_answered_304_until_something_changes(make_prediction) -> None:
    p = make_prediction(status=Status.DUE)
    client = Client()
    first = client.get("/")
    etag, last_modified = first["ETag"], first["Last-Modified"]

    assert client.get("/", headers={"if-none-match": etag}).status_code == 304
    assert client.get("/", headers={"if-modified-since": last_modified}).status_code == 304
    # Another filter is another page, with its own answer.
    assert client.get("/?speaker=unattributed").status_code == 200

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        resolve(p, outcome="held_up", note="It happened.", actor=Actor(None, "alice"))
        after = client.get("/", headers={"if-none-match": etag, "if-modified-since": last_modified})
    assert after.status_code == 200
    assert after["ETag"] != etag
    assert totals(after.content.decode())["held_up"] == "1"


def test_the_page_is_new_at_midnight(make_prediction) -> None:
    # "Coming due next" and the timeline are relative to today.
    make_prediction()
    etag = Client().get("/")["ETag"]
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert Client().get("/", headers={"if-none-match": etag}).status_code == 200


def test_a_cached_page_costs_one_query_at_10_and_at_1000_predictions(source: Source) -> None:
    speakers = [Speaker.objects.create(name=f"Speaker {i}", slug=f"speaker-{i}") for i in range(4)]

    def cached_view_queries() -> int:
        client = Client()
        client.get("/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    make_many(10, source, speakers)
    at_10 = cached_view_queries()
    Prediction.objects.all().delete()
    make_many(1000, source, speakers)
    assert cached_view_queries() == at_10 == 1  # the data version


# --- the menus ------------------------------------------------------------------------------


def test_the_menus_list_the_top_ones_and_the_chosen_one(source: Source, make_prediction) -> None:
    speakers = [
        Speaker.objects.create(name=f"Speaker {i:03}", slug=f"s-{i:03}") for i in range(PICKER_SIZE + 5)
    ]
    for i, speaker in enumerate(speakers):
        for _ in range(2 if i < PICKER_SIZE else 1):  # the last five have fewer predictions
            make_prediction(speaker=speaker)

    html = Client().get("/").content.decode()
    menu = re.search(r'<select name="speaker".*?</select>', html, re.S).group(0)
    assert menu.count("<option") == PICKER_SIZE + 2  # all speakers, the top ones, the panel
    assert 'value="s-000"' in menu and 'value="s-054"' not in menu

    chosen = Client().get("/?speaker=s-054").content.decode()
    assert 'value="s-054" selected' in chosen


def test_the_menu_search_finds_any_speaker_or_source(db, source: Source) -> None:
    Speaker.objects.bulk_create(Speaker(name=f"Speaker {i:04}", slug=f"speaker-{i:04}") for i in range(300))
    client = Client()
    found = client.get("/scorecard/speakers.json", {"q": "0123"}).json()["results"]
    assert found == [{"value": "speaker-0123", "label": "Speaker 0123"}]
    assert len(client.get("/scorecard/speakers.json", {"q": "speaker"}).json()["results"]) == 20
    assert client.get("/scorecard/sources.json", {"q": "test pod"}).json()["results"] == [
        {"value": "test-podcast", "label": "Test podcast"}
    ]
    assert client.get("/scorecard/sources.json", {"q": ""}).json()["results"] == []


def test_the_search_boxes_run_from_a_static_file_not_inline_script(make_prediction) -> None:
    make_prediction()
    html = Client().get("/").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(
        'src="/static/predictions/picker.js"' in attrs and not body.strip() for attrs, body in scripts
    )
    assert 'data-search="/scorecard/sources.json"' in html
