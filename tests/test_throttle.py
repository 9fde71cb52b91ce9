"""The anonymous throttle holds: the client is REMOTE_ADDR unless proxies are trusted, a made-up
X-Forwarded-For buys nothing, clients sharing one cache are counted atomically, and the
calendars are throttled too."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings

from predictions.api import AnonThrottle

REDIS_URL = "redis://127.0.0.1:6379/7"  # db 7: the tests' own, flushed by them alone
REDIS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_counts() -> None:
    cache.clear()


@pytest.fixture
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def statuses(url: str, n: int, **headers: str) -> list[int]:
    return [Client().get(url, **headers).status_code for _ in range(n)]


def test_a_fresh_x_forwarded_for_per_request_does_not_reset_the_count(db, settings, frozen) -> None:
    settings.API_ANON_RATE = "3/min"
    codes = [
        Client().get("/api/speakers", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(6)
    ]
    assert codes == [200, 200, 200, 429, 429, 429]


def test_behind_one_proxy_the_address_it_saw_is_the_client(db, settings, frozen) -> None:
    settings.API_ANON_RATE = "3/min"
    settings.TRUSTED_PROXY_COUNT = 1

    def from_client(client_addr: str, n: int) -> int:
        # What the client wrote comes first; the proxy appends the address it saw.
        xff = f"198.51.100.{n}, {client_addr}"
        return Client().get("/api/speakers", HTTP_X_FORWARDED_FOR=xff, REMOTE_ADDR="10.0.0.2").status_code

    assert [from_client("203.0.113.7", n) for n in range(4)] == [200, 200, 200, 429]
    # Another client behind the same proxy has a count of its own.
    assert from_client("203.0.113.8", 0) == 200


def test_a_window_ends_and_the_client_may_come_back(db, settings, frozen) -> None:
    settings.API_ANON_RATE = "2/min"
    assert statuses("/api/speakers", 3) == [200, 200, 429]
    frozen.shift(30)
    refused = Client().get("/api/speakers")
    assert (refused.status_code, refused["Retry-After"]) == (429, "30")
    frozen.shift(30)
    assert statuses("/api/speakers", 1) == [200]


def test_the_calendars_are_throttled_too_in_a_count_of_their_own(db, settings, frozen) -> None:
    settings.API_ANON_RATE = "2/min"
    assert statuses("/calendar.ics", 3) == [200, 200, 429]
    assert statuses("/unattributed/calendar.ics", 1) == [429]
    refused = Client().get("/calendar.ics", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert (refused.status_code, refused["Retry-After"]) == (429, "60")
    assert statuses("/api/speakers", 1) == [200]


@pytest.fixture
def redis_db7() -> object:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"needs a Redis at {REDIS_URL}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_concurrent_clients_sharing_a_cache_never_get_past_the_limit(redis_db7, settings, frozen) -> None:
    settings.API_ANON_RATE = "100/hour"
    throttle = AnonThrottle()
    request = RequestFactory().get("/api/speakers", REMOTE_ADDR="203.0.113.9")
    threads, per_thread = 8, 40
    allowed = [0] * threads
    start = threading.Barrier(threads)

    def client(i: int) -> None:
        start.wait()
        allowed[i] = sum(throttle.allow_request(request) for _ in range(per_thread))

    with override_settings(CACHES=REDIS_CACHE):
        workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    assert sum(allowed) == 100
