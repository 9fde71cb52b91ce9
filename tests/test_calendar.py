"""The calendars of due dates, parsed back with icalendar: one all-day event per prediction
on its due date, UIDs stable across fetches, per speaker and per source."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from predictions.models import Prediction, Source, Speaker

pytestmark = pytest.mark.django_db


def body(url: str, **headers: str) -> bytes:
    response = Client().get(url, **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return b"".join(response.streaming_content)


def events(url: str) -> list:
    return list(Calendar.from_ical(body(url)).walk("VEVENT"))


def test_every_prediction_is_one_all_day_event_on_its_due_date(seeded) -> None:
    # On the day the seed's episode was published, every prediction is still to come.
    with time_machine.travel(datetime(2026, 1, 31, 12, tzinfo=UTC), tick=False):
        found = events("/calendar.ics")
    predictions = Prediction.objects.select_related("source")
    assert len(found) == predictions.count() == 38
    by_uid = {str(e["UID"]): e for e in found}
    for p in predictions:
        event = by_uid[f"prediction-{p.source.slug}-{p.key}@127.0.0.1"]
        assert event.decoded("DTSTART") == p.due_on
        assert event.decoded("DTEND") == date.fromordinal(p.due_on.toordinal() + 1)
        assert str(event["SUMMARY"]) == p.claim
        assert str(event["URL"]) == f"http://127.0.0.1:8000/predictions/{p.pk}/"


def test_the_description_says_who_where_the_criteria_and_links_the_page(make_prediction, speaker) -> None:
    p = make_prediction(speaker=speaker, resolution_criteria='Ships, with a "quote"; and a comma, too.')
    (event,) = events("/calendar.ics")
    description = str(event["DESCRIPTION"])
    assert "Said by: Ada Lovelace" in description
    assert "Where: Test podcast (31 Jan 2026)" in description
    assert 'Resolution criteria: Ships, with a "quote"; and a comma, too.' in description
    assert f"http://127.0.0.1:8000/predictions/{p.pk}/" in description


def test_uids_and_bytes_are_stable_across_two_fetches(seeded) -> None:
    first, second = Client().get("/calendar.ics"), Client().get("/calendar.ics")
    assert b"".join(first.streaming_content) == b"".join(second.streaming_content)
    assert first["ETag"] == second["ETag"]
    assert Client().get("/calendar.ics", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_speakers_and_a_sources_calendar_hold_only_theirs(make_prediction, speaker: Speaker) -> None:
    other = Source.objects.create(title="Other", slug="other", published_on=date(2026, 1, 1))
    ada = make_prediction(speaker=speaker)
    panel = make_prediction(source=other)
    assert [str(e["SUMMARY"]) for e in events("/speakers/ada-lovelace/calendar.ics")] == [ada.claim]
    assert [str(e["SUMMARY"]) for e in events("/sources/other/calendar.ics")] == [panel.claim]
    assert [str(e["SUMMARY"]) for e in events("/unattributed/calendar.ics")] == [panel.claim]
    assert Client().get("/speakers/nobody/calendar.ics").status_code == 404
    assert Client().get("/sources/nowhere/calendar.ics").status_code == 404
