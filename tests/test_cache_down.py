"""A shared cache that goes down leaves pages that still answer: the scorecard is rendered
afresh, the throttle lets requests through (it fails open), and the outage is logged once."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, override_settings

from predictions import caching

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: every cache call fails at once with a refused connection.
DEAD_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture(autouse=True)
def dead_cache(monkeypatch: pytest.MonkeyPatch) -> object:
    pytest.importorskip("redis")
    monkeypatch.setattr(caching.state, "failing", False)
    with override_settings(CACHES=DEAD_REDIS):
        yield


def test_the_scorecard_answers_with_the_cache_down(make_prediction) -> None:
    make_prediction()
    for _ in range(2):
        response = Client().get("/")
        assert response.status_code == 200
        assert 'data-total="tracked">1<' in response.content.decode()


def test_the_api_and_the_calendars_answer_with_the_cache_down(settings, make_prediction) -> None:
    settings.API_ANON_RATE = "1/min"
    make_prediction()
    # Fails open: with no count to read, nobody is refused.
    assert [Client().get("/api/predictions").status_code for _ in range(3)] == [200, 200, 200]
    assert Client().get("/api/predictions").json()["total"] == 1
    assert [Client().get("/calendar.ics").status_code for _ in range(2)] == [200, 200]


def test_the_outage_is_logged_once_not_per_request(make_prediction, caplog) -> None:
    make_prediction()
    with caplog.at_level(logging.WARNING, logger="predictions.cache"):
        for url in ("/", "/", "/api/speakers", "/calendar.ics"):
            assert Client().get(url).status_code == 200
    warnings = [r for r in caplog.records if r.name == "predictions.cache"]
    assert len(warnings) == 1
    assert "The cache is not answering" in warnings[0].getMessage()


def test_a_cache_that_answers_again_is_used_again_and_says_so(make_prediction, caplog) -> None:
    make_prediction()
    with caplog.at_level(logging.WARNING, logger="predictions.cache"):
        Client().get("/")
        with override_settings(
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        ):
            Client().get("/")
            assert Client().get("/").context is None, "served from the cache again"
    said = [r.getMessage() for r in caplog.records if r.name == "predictions.cache"]
    assert len(said) == 2
    assert said[0].startswith("The cache is not answering")
    assert said[1] == "The cache is answering again."
