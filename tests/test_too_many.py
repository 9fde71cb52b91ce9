"""The one 429 (`throttle.too_many`): every throttled path answers with status 429, a
Retry-After of the seconds until its count's window ends, and a body saying how long, in
the form its client reads: plain text for a calendar, JSON for the API, a page for a form."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, RequestFactory

from predictions import throttle

pytestmark = pytest.mark.django_db

# 20 seconds into a minute, 40 minutes into an hour.
NOW = datetime(2027, 1, 1, 12, 40, 20, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_and_fresh() -> object:
    cache.clear()
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def refused(send) -> object:
    """The first answer that is not a 200, sending at most 10 times."""
    for _ in range(10):
        response = send()
        if response.status_code != 200:
            return response
    raise AssertionError("never refused")


def test_a_calendar_is_told_in_plain_text(settings) -> None:
    settings.API_ANON_RATE = "2/min"
    response = refused(lambda: Client().get("/calendar.ics"))
    assert (response.status_code, response["Retry-After"]) == (429, "40")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "Too many requests from your address: try again in 40 seconds.\n"


def test_the_api_is_told_in_its_json(settings) -> None:
    settings.API_ANON_RATE = "2/min"
    response = refused(lambda: Client().get("/api/speakers"))
    assert (response.status_code, response["Retry-After"]) == (429, "40")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content) == {
        "detail": "Too many requests from your address: try again in 40 seconds."
    }


def test_a_sign_up_is_told_on_a_page(speaker) -> None:
    def sign_up() -> object:
        return Client().post(f"/speakers/{speaker.slug}/follow/", {"email": "a@example.org", "website": ""})

    response = refused(sign_up)  # FOLLOW_RATE: 5 an hour, 19 minutes 40 seconds left of it
    assert (response.status_code, response["Retry-After"]) == (429, "1180")
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert "<h1>Too many sign-ups</h1>" in html
    assert "Too many sign-ups from your address: try again in 1180 seconds." in html


def test_one_second_is_one_second() -> None:
    response = throttle.too_many(RequestFactory().get("/"), 1)
    assert response.content.decode() == "Too many requests from your address: try again in 1 second.\n"
    assert response["Retry-After"] == "1"
