"""Topics (models/topic.py): the ?topic= filter (filtering.py) counted from the predictions,
the topic pages with their own scorecard (record_views.py), the data version a change of
topics moves, the API's topics, and the include for the scorecard's topic links."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext

from predictions.filtering import FilterError, Filters, parse
from predictions.models import Topic, data_version
from predictions.record import within
from predictions.tallies import tallies, total_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def hardware(scored) -> Topic:
    """Ada's ada-1 (held up) and ada-3 (did not), Grace's grace-1 (held up) and the panel's
    panel-1 (did not hold up): four predictions, all scored."""
    topic = Topic.objects.create(slug="hardware", name="Hardware", description="Engines and machines.")
    for name in ("ada-1", "ada-3", "grace-1", "panel-1"):
        scored[name].topics.add(topic)
    Topic.objects.create(slug="empty", name="Empty")
    return topic


def test_a_topic_filter_counts_only_the_topics_predictions(hardware) -> None:
    tally = total_of(Filters(topic="hardware"))
    # 2 held up (ada-1, grace-1), 2 did not (ada-3, panel-1); nothing else of the 11.
    assert (tally.tracked, tally.held_up, tally.did_not_hold_up, tally.partially) == (4, 2, 2, 0)
    per_speaker = {
        row["speaker__slug"]: row["tally"] for row in tallies(Filters(topic="hardware"), ("speaker__slug",))
    }
    assert per_speaker["ada-lovelace"].held_up == 1 and per_speaker["ada-lovelace"].did_not_hold_up == 1
    assert per_speaker["grace-hopper"].held_up == 1 and per_speaker[None].did_not_hold_up == 1
    assert total_of(Filters(topic="empty")).tracked == 0


def test_a_topic_narrows_the_other_filters_too(hardware) -> None:
    assert total_of(Filters(topic="hardware", speaker="ada-lovelace")).tracked == 2
    assert total_of(Filters(topic="hardware", source="other-talk")).tracked == 1  # grace-1


def test_an_unknown_topic_is_refused_by_name(hardware) -> None:
    with pytest.raises(FilterError) as refused:
        parse({"topic": "hardwar"})
    assert refused.value.name == "topic"
    assert ("hardware", "Hardware") in refused.value.known
    assert parse({"topic": "hardware"}).topic_obj == hardware


def test_the_topic_scorecard_is_the_scorecards_arithmetic_within_the_topic(hardware) -> None:
    numbers = within(Filters(topic="hardware"))
    rows = {row.label: row for row in numbers["speaker_rows"]}
    # Ada 1 of 2 (50%), Grace 1 of 1 (100%), the panel 0 of 1; ordered by the interval's
    # lower bound, the panel last.
    assert rows["Ada Lovelace"].accuracy.n == 2 and rows["Ada Lovelace"].accuracy.value == 0.5
    assert rows["Grace Hopper"].accuracy.value == 1.0
    assert [row.panel for row in numbers["speaker_rows"]] == [False, False, True]
    assert numbers["overall"].n == 4 and numbers["overall"].value == 0.5
    assert numbers["probabilities_given"] == 0


def test_the_topic_page_shows_its_scorecard_and_its_predictions(client: Client, hardware, scored) -> None:
    response = client.get("/topics/hardware/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-total="tracked">4<' in html
    assert scored["grace-1"].claim in html and scored["ada-2"].claim not in html
    assert 'href="/topics/hardware/follow/"' in html  # follow by e-mail, visibly
    assert 'href="/calendar.ics"' in html and 'href="/feeds/resolved.atom"' in html
    assert client.get("/topics/nope/").status_code == 404


def test_the_topic_list_names_each_with_its_count(client: Client, hardware) -> None:
    html = client.get("/topics/").content.decode()
    assert 'href="/topics/hardware/"' in html and "4 predictions" in html and "0 predictions" in html


def test_the_topic_list_is_counted_once_per_data_version(client: Client, hardware, scored) -> None:
    assert "4 predictions" in client.get("/topics/").content.decode()
    with CaptureQueriesContext(connection) as captured:
        html = client.get("/topics/").content.decode()
    assert "4 predictions" in html and "0 predictions" in html
    # Only the data version is read: the counts are the cached ones.
    assert len(captured) == 1 and "dataversion" in captured[0]["sql"], captured.captured_queries
    scored["ada-2"].topics.add(hardware)
    assert "5 predictions" in client.get("/topics/").content.decode()
    Topic.objects.create(slug="new", name="A new one")
    assert 'href="/topics/new/"' in client.get("/topics/").content.decode()


def test_adding_a_prediction_to_a_topic_changes_the_data_version(hardware, scored, client: Client) -> None:
    """The topic scorecard is cached under the data version: a change of a prediction's
    topics must make the page new."""
    assert 'data-total="tracked">4<' in client.get("/topics/hardware/").content.decode()
    before = data_version()[0]
    scored["ada-2"].topics.add(hardware)
    assert data_version()[0] != before
    assert 'data-total="tracked">5<' in client.get("/topics/hardware/").content.decode()
    before = data_version()[0]
    Topic.objects.filter(pk=hardware.pk).update(name="Machines")
    assert data_version()[0] != before


def test_the_topic_page_makes_the_same_queries_for_4_or_24_predictions(
    hardware, make_prediction, client
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/topics/hardware/").status_code == 200
        return len(queries)

    with_4 = count()
    for _ in range(20):
        make_prediction().topics.add(hardware)
    assert count() == with_4


def test_the_api_lists_topics_and_filters_by_one(client: Client, hardware, scored) -> None:
    listed = client.get("/api/topics").json()
    assert [t["slug"] for t in listed] == ["empty", "hardware"]
    assert listed[1]["page"] == "/topics/hardware/" and listed[1]["description"] == "Engines and machines."
    page = client.get("/api/predictions", {"topic": "hardware"}).json()
    assert page["total"] == 4 and all(item["topics"] == ["hardware"] for item in page["items"])
    assert client.get(f"/api/predictions/{scored['ada-2'].pk}").json()["topics"] == []
    refused = client.get("/api/predictions", {"topic": "nope"})
    assert refused.status_code == 400 and refused.json()["parameter"] == "topic"
    scorecard = client.get("/api/scorecard", {"topic": "hardware"}).json()
    assert scorecard["tally"]["tracked"] == 4


def test_the_topic_links_include_links_each_topic_and_marks_the_chosen_one(hardware) -> None:
    html = render_to_string(
        "predictions/_topic_links.html",
        {
            "topics": Topic.objects.all(),
            "chosen": "hardware",
            "base": "/?speaker=ada&",
            "clear": "/?speaker=ada",
        },
    )
    assert 'href="/?speaker=ada&amp;topic=hardware" aria-current="true"' in html
    assert 'href="/?speaker=ada&amp;topic=empty"' in html and 'href="/?speaker=ada">all topics' in html


def test_a_speakers_page_filters_by_topic_and_keeps_it_across_pages(
    client: Client, hardware, scored, monkeypatch
) -> None:
    monkeypatch.setattr("predictions.views.PAGE_SIZE", 1)
    html = client.get("/speakers/ada-lovelace/", {"topic": "hardware"}).content.decode()
    # Ada's ada-1 (held up) and ada-3 (did not) are in the topic: 2 of her 6.
    assert "Predictions (2) on Hardware" in html and 'data-total="tracked">2<' in html
    assert 'href="?topic=hardware&amp;after=' in html
    assert 'href="?topic=hardware" aria-current="true"' in html
    assert client.get("/speakers/ada-lovelace/", {"topic": "nope"}).status_code == 400
    assert 'data-total="tracked">6<' in client.get("/speakers/ada-lovelace/").content.decode()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_history_export_filters_by_topic(hardware, scored, fmt) -> None:
    """On PostgreSQL CSV and JSON Lines go through COPY, elsewhere the ORM: both keep only
    the topic's predictions (scored has no history, so one row each)."""
    import csv
    import io
    import json

    from predictions.export_stream import stream_export

    text = "".join(stream_export(fmt, parse({"topic": "hardware"})))
    rows = (
        list(csv.DictReader(io.StringIO(text)))
        if fmt == "csv"
        else [json.loads(line) for line in text.splitlines()]
    )
    expected = {scored[name].key for name in ("ada-1", "ada-3", "grace-1", "panel-1")}
    assert {row["key"] for row in rows} == expected and len(rows) == 4


def test_the_export_command_takes_a_topic(hardware, scored) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = StringIO()
    call_command("export_resolutions", "--format", "jsonl", "--topic", "hardware", stdout=out)
    assert len(out.getvalue().splitlines()) == 4
    with pytest.raises(CommandError, match="topic: no topic with slug 'nope'"):
        call_command("export_resolutions", "--format", "jsonl", "--topic", "nope", stdout=StringIO())


def test_the_scorecard_filters_by_topic_and_its_links_keep_the_other_filters(hardware) -> None:
    from predictions import caching

    caching.local.clear()
    html = Client().get("/?topic=hardware&speaker=ada-lovelace").content.decode()
    total = dict(re.findall(r'data-total="(\w+)">(\d+)<', html))
    # Ada within Hardware: ada-1 held up, ada-3 did not; her other four are elsewhere.
    assert (total["tracked"], total["held_up"], total["did_not_hold_up"]) == ("2", "1", "1")
    assert 'id="topic-filter">Hardware<' in html
    # The topic links keep the speaker; "all topics" drops only the topic; the form keeps it.
    assert 'href="?speaker=ada-lovelace&amp;topic=hardware"' in html
    assert 'class="clear" href="/?speaker=ada-lovelace">all topics' in html
    assert '<input type="hidden" name="topic" value="hardware">' in html
    everyone = Client().get("/?topic=hardware").content.decode()
    assert dict(re.findall(r'data-total="(\w+)">(\d+)<', everyone))["tracked"] == "4"
