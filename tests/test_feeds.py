"""The Atom feeds of decisions, parsed back with feedparser."""

from __future__ import annotations

from datetime import UTC, date, datetime

import feedparser
import pytest
from django.test import Client

from predictions.decisions import Actor, reopen, resolve
from predictions.models import Outcome
from predictions.tasks import flag_due

pytestmark = pytest.mark.django_db


def parse(url: str):
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return feedparser.parse(response.content)


@pytest.fixture
def decided(make_prediction, speaker, reviewer):
    ada = make_prediction(speaker=speaker, claim="Ada's <engine> runs.", due_on=date(2026, 12, 31))
    panel = make_prediction(claim="The panel's claim.", due_on=date(2026, 12, 31))
    flag_due(as_of=date(2027, 1, 1))
    alice = Actor(user=reviewer, name="alice")
    for p in (ada, panel):
        p.refresh_from_db()
    resolve(
        ada,
        outcome=Outcome.HELD_UP,
        note="It ran & printed.",
        evidence=["https://example.org/proof", "javascript:alert(1)"],
        actor=alice,
        at=datetime(2027, 1, 2, tzinfo=UTC),
    )
    resolve(
        panel, outcome=Outcome.DID_NOT_HOLD_UP, note="No.", actor=alice, at=datetime(2027, 1, 3, tzinfo=UTC)
    )
    ada.refresh_from_db()
    resolve(
        ada,
        outcome=Outcome.PARTIALLY,
        note="On review, half.",
        actor=alice,
        at=datetime(2027, 1, 4, tzinfo=UTC),
    )
    return ada, panel


def test_the_feed_lists_each_decision_newest_first(decided) -> None:
    ada, panel = decided
    feed = parse("/feeds/resolved.atom")
    assert not feed.bozo
    titles = [e.title for e in feed.entries]
    assert titles == [
        "Partially held up: Ada's <engine> runs.",
        "Did not hold up: The panel's claim.",
        "Held up: Ada's <engine> runs.",
    ]
    assert len({e.id for e in feed.entries}) == 3
    assert feed.entries[0].link == f"http://testserver/predictions/{ada.pk}/#history"
    assert feed.entries[0].author == "Reviewer"
    first = feed.entries[2].summary
    assert "By Ada Lovelace in Test podcast" in first
    assert "It ran &amp; printed." in first
    assert '<a href="https://example.org/proof"' in first
    assert 'href="javascript' not in first and "javascript:alert(1)" in first
    assert "alice" not in str(feed)


def test_a_reopening_withdraws_the_outcome_in_the_feed(decided, reviewer) -> None:
    ada, _ = decided
    ada.refresh_from_db()
    reopen(
        ada,
        note="The benchmark was retracted.",
        actor=Actor(user=reviewer, name="alice"),
        at=datetime(2027, 1, 5, tzinfo=UTC),
    )
    feed = parse("/feeds/resolved.atom")
    newest = feed.entries[0]
    assert newest.title == "Outcome withdrawn (partially held up): Ada's <engine> runs."
    assert (
        "the outcome “partially held up” is withdrawn and the prediction is due for review again"
        in newest.summary
    )
    assert "The benchmark was retracted." in newest.summary
    assert len(feed.entries) == 4


def test_a_speakers_feed_holds_only_their_decisions(decided) -> None:
    feed = parse("/speakers/ada-lovelace/feed.atom")
    assert [e.title.split(":")[0] for e in feed.entries] == ["Partially held up", "Held up"]
    assert Client().get("/speakers/nobody/feed.atom").status_code == 404


def test_the_pages_point_browsers_at_the_feeds_and_calendars(decided) -> None:
    home = Client().get("/").content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Latest outcomes" href="/feeds/resolved.atom">'
        in home
    )
    assert 'type="text/calendar" title="Due dates" href="/calendar.ics"' in home
    page = Client().get("/speakers/ada-lovelace/").content.decode()
    assert 'href="/speakers/ada-lovelace/feed.atom"' in page
    assert 'href="/speakers/ada-lovelace/calendar.ics"' in page
