"""No calendar's cost grows without bound (issue 23): the site-wide calendar holds the next
CALENDAR_SITE_EVENTS coming due, every calendar streams keyset pages, is conditional on the
data version (304) and cached under it, and its query count does not grow with its rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from predictions.models import Prediction, Speaker

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 10)


@pytest.fixture(autouse=True)
def today():
    cache.clear()  # a calendar cached by another test must not answer for this one
    with time_machine.travel(datetime(2027, 3, 10, 12, tzinfo=UTC), tick=False):
        yield


def fetch(url: str, **headers: str) -> tuple[int, bytes, StreamingHttpResponse]:
    response = Client().get(url, **headers)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, content, response


def summaries(content: bytes) -> list[str]:
    return [str(e["SUMMARY"]) for e in Calendar.from_ical(content).walk("VEVENT")]


def make_many(make_prediction, n: int, **fields: object) -> list[Prediction]:
    # Three a day, so the keyset pages also split days in two (same due_on, ordered by id).
    return [
        make_prediction(claim=f"Claim {i}", due_on=TODAY + timedelta(days=i // 3), **fields) for i in range(n)
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/calendar.ics",
        "/speakers/ada-lovelace/calendar.ics",
        "/unattributed/calendar.ics",
        "/sources/test-podcast/calendar.ics",
    ],
)
def test_every_calendar_is_a_streamed_response(make_prediction, speaker: Speaker, url: str) -> None:
    make_prediction(speaker=speaker)
    make_prediction()
    status, content, response = fetch(url)
    assert status == 200
    assert isinstance(response, StreamingHttpResponse)
    assert content.startswith(b"BEGIN:VCALENDAR\r\n") and content.endswith(b"END:VCALENDAR\r\n")


def test_the_site_wide_calendar_holds_only_the_next_ones_coming_due(settings, make_prediction) -> None:
    settings.CALENDAR_SITE_EVENTS = 4
    make_prediction(claim="Yesterday", due_on=TODAY - timedelta(days=1))
    later = make_many(make_prediction, 7)
    _, content, _ = fetch("/calendar.ics")
    assert summaries(content) == [p.claim for p in later[:4]]
    description = str(Calendar.from_ical(content)["X-WR-CALDESC"])
    assert "The next 4 predictions coming due, from 10 Mar 2027" in description
    assert "/speakers/<slug>/calendar.ics" in description


def test_a_calendar_streamed_in_pages_holds_every_prediction_once_in_order(
    settings, make_prediction, speaker: Speaker
) -> None:
    settings.CALENDAR_PAGE_SIZE = 2
    theirs = make_many(make_prediction, 7, speaker=speaker)
    make_prediction(claim="Someone else's")
    # Made in reverse date order too, so id order alone would be wrong.
    earlier = make_prediction(claim="Earliest", speaker=speaker, due_on=TODAY - timedelta(days=30))
    _, content, _ = fetch("/speakers/ada-lovelace/calendar.ics")
    assert summaries(content) == ["Earliest", *(p.claim for p in theirs)]
    assert earlier.pk > theirs[-1].pk


def first_fetch_queries(url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        status, _, _ = fetch(url)
    assert status == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/calendar.ics", "/speakers/ada-lovelace/calendar.ics"])
def test_a_calendars_query_count_does_not_grow_with_its_predictions(
    settings, make_prediction, speaker: Speaker, url: str
) -> None:
    settings.CALENDAR_SITE_EVENTS = 10
    make_many(make_prediction, 3, speaker=speaker)
    few = first_fetch_queries(url)
    make_many(make_prediction, 40, speaker=speaker)
    assert first_fetch_queries(url) == few <= 4


def test_a_conditional_fetch_is_a_304_until_a_prediction_changes(make_prediction, speaker: Speaker) -> None:
    p = make_prediction(speaker=speaker)
    url = "/speakers/ada-lovelace/calendar.ics"
    _, _, first = fetch(url)
    assert first["Last-Modified"]
    assert fetch(url, HTTP_IF_NONE_MATCH=first["ETag"])[0] == 304
    p.claim = "Changed"
    p.save()
    status, content, _ = fetch(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert status == 200
    assert summaries(content) == ["Changed"]


def test_a_second_fetch_is_the_cached_calendar_until_something_changes(
    make_prediction, speaker: Speaker
) -> None:
    p = make_prediction(speaker=speaker)
    url = "/speakers/ada-lovelace/calendar.ics"
    _, first, _ = fetch(url)
    with CaptureQueriesContext(connection) as queries:
        _, second, response = fetch(url)
    assert second == first
    assert isinstance(response, StreamingHttpResponse)
    assert not [q for q in queries if "predictions_prediction" in q["sql"]]
    p.claim = "Changed"
    p.save()
    assert summaries(fetch(url)[1]) == ["Changed"]


def test_a_calendar_over_the_cache_bound_is_streamed_afresh_each_time(
    settings, make_prediction, speaker: Speaker
) -> None:
    settings.CALENDAR_CACHE_BYTES = 200  # smaller than any calendar
    make_prediction(speaker=speaker)
    url = "/speakers/ada-lovelace/calendar.ics"
    fetch(url)
    with CaptureQueriesContext(connection) as queries:
        fetch(url)
    assert [q for q in queries if "predictions_prediction" in q["sql"]]
