"""Any value the database can hold leaves every public URL answering (issue 17): hypothesis
stores a speaker, a source, a resolved prediction with its history row, a stance and an
answered challenge, each text field anything from empty to its limit (control characters,
bidi marks, markup included; not NUL, which PostgreSQL's text cannot hold), dates from year
1 to 9999, every transcript time the bound allows, and asks every public page, feed,
calendar, picture and API route for them: 200, 304 or 404, never a 500."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictions.models import (
    CLAIM_MAX,
    CRITERIA_MAX,
    MAX_TIMESTAMP,
    NOTE_MAX,
    QUOTE_MAX,
    Attribution,
    Challenge,
    ChallengeStatus,
    Event,
    EventKind,
    Horizon,
    Outcome,
    Prediction,
    Source,
    Speaker,
    Stance,
    StanceKind,
    Status,
    Topic,
)

pytestmark = pytest.mark.django_db

# Any character but NUL and lone surrogates (neither is storable text).
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")


def text(limit: int, min_size: int = 0) -> st.SearchStrategy[str]:
    """Short, or exactly at the limit: the two ends that break renderers."""
    return st.one_of(
        st.text(CHARS, min_size=min_size, max_size=min(limit, 30)),
        st.text(CHARS, min_size=limit, max_size=limit),
    )


def non_blank(limit: int) -> st.SearchStrategy[str]:
    return text(limit, min_size=1).filter(lambda s: s.strip() != "")


dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
stored = st.fixed_dictionaries(
    {
        "speaker_name": non_blank(200),
        "bio": text(500),
        "source_title": non_blank(300),
        "url": st.sampled_from(
            ["", "https://www.youtube.com/watch?v=x", "javascript:alert(1)", "https://例え.jp/a b"]
        ),
        "claim": non_blank(CLAIM_MAX),
        "quote": text(QUOTE_MAX),
        "criteria": non_blank(CRITERIA_MAX),
        "excerpt": text(400),
        "attribution_note": text(1000),
        "section": text(300),
        "horizon_as_said": text(100),
        "stated_on": dates,
        "days_to_due": st.integers(min_value=0, max_value=3_000_000),
        "probability": st.one_of(st.none(), st.integers(0, 1000).map(lambda m: m / 1000)),
        "timestamp": st.one_of(
            st.none(), st.sampled_from([0, 1, MAX_TIMESTAMP]), st.integers(0, MAX_TIMESTAMP)
        ),
        "note": text(NOTE_MAX),
        "evidence": st.lists(text(300), max_size=3),
        "outcome": st.sampled_from([Outcome.HELD_UP, Outcome.PARTIALLY, Outcome.DID_NOT_HOLD_UP]),
        "stance_excerpt": text(400),
        "challenge": text(2000, min_size=1),
    }
)


def store(v: dict) -> Prediction:
    speaker = Speaker.objects.create(name=v["speaker_name"], slug="s", bio=v["bio"])
    other = Speaker.objects.create(name=v["speaker_name"][::-1] or "x", slug="o")
    source = Source.objects.create(
        title=v["source_title"], slug="src", url=v["url"], published_on=v["stated_on"]
    )
    due = date.fromordinal(min(v["stated_on"].toordinal() + v["days_to_due"], date.max.toordinal()))
    at = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
    p = Prediction.objects.create(
        source=source, key="k", claim=v["claim"], quote=v["quote"], speaker=speaker,
        attribution=Attribution.INFERRED, attribution_note=v["attribution_note"], excerpt=v["excerpt"],
        section=v["section"], horizon=Horizon.MEDIUM, horizon_as_said=v["horizon_as_said"],
        stated_on=v["stated_on"], due_on=due, probability=v["probability"], source_timestamp=v["timestamp"],
        resolution_criteria=v["criteria"], status=Status.RESOLVED, outcome=v["outcome"], resolved_at=at,
    )  # fmt: skip
    event = Event.objects.create(
        prediction=p, kind=EventKind.RESOLVED, at=at, actor_name="import", from_status=Status.DUE,
        to_status=Status.RESOLVED, to_outcome=v["outcome"], note=v["note"], evidence=v["evidence"],
    )  # fmt: skip
    Stance.objects.create(
        prediction=p, speaker=other, stance=StanceKind.DISPUTES, excerpt=v["stance_excerpt"],
        source_timestamp=v["timestamp"], attribution=Attribution.INFERRED,
    )  # fmt: skip
    Challenge.objects.create(
        prediction=p, contested_outcome=v["outcome"], reason=v["challenge"], evidence=v["evidence"],
        created_at=at, status=ChallengeStatus.DECLINED, answer=v["note"] or "No.", answered_at=at,
    )  # fmt: skip
    topic = Topic.objects.create(slug="t", name=v["speaker_name"][:100], description=v["bio"])
    p.topics.add(topic)
    assert event.pk
    return p


def urls(p: Prediction) -> list[str]:
    return [
        "/", "/scorecard/", "/scorecard/?speaker=s", "/scorecard/?source=src", p.get_absolute_url(),
        f"/predictions/{p.pk}/challenge/", f"/predictions/{p.pk}/share.png", "/scorecard/share.png",
        "/speakers/s/", "/speakers/o/", "/unattributed/", "/speakers/s/share.png", "/speakers/s/badge.svg",
        "/speakers/s/follow/", "/calendar.ics", "/speakers/s/calendar.ics", "/sources/src/calendar.ics",
        "/unattributed/calendar.ics", "/feeds/resolved.atom", "/speakers/s/feed.atom", "/api/predictions",
        f"/api/predictions/{p.pk}", "/api/scorecard", "/api/speakers", "/api/sources", "/export/schema.json",
        "/predictions/", "/predictions/?topic=t&status=resolved", f"/predictions/?{urlencode({'q': p.claim[:200]})}",
        "/sources/", "/sources/src/", "/topics/", "/topics/t/", "/topics/t/follow/", "/speakers/s/?topic=t",
        "/api/topics",
    ]  # fmt: skip


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=stored)
def test_every_public_url_answers_whatever_is_stored(values: dict) -> None:
    cache.clear()
    client = Client(raise_request_exception=True)
    with transaction.atomic():
        p = store(values)
        for url in urls(p):
            response = client.get(url)
            assert response.status_code in (200, 304, 404), (url, response.status_code)
            if response.streaming:
                b"".join(response.streaming_content)
        transaction.set_rollback(True)
