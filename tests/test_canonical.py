"""The canonical link of every paged public page names the page it is: its page or cursor
and its own filters kept, anything else (a campaign tag, a parameter the page does not
read) dropped, so page 2 never claims to be page 1 and a tracking tag never makes a page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.test import Client

from predictions import caching, keyset, record_views, views
from predictions.models import Speaker, Status, Topic

pytestmark = pytest.mark.django_db

ROOT = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def fresh_process() -> None:
    caching.local.clear()


@pytest.fixture
def small_pages(monkeypatch) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(record_views, "PAGE_SIZE", 2)


def canonical(path: str) -> str:
    html = Client().get(path).content.decode()
    found = re.findall(r'<link rel="canonical" href="([^"]*)">', html)
    assert len(found) == 1, (path, found)
    return unescape(found[0])


def next_link(path: str) -> str:
    html = Client().get(path).content.decode()
    return unescape(re.search(r'<a rel="next" href="([^"]*)"|<a href="([^"]*)" rel="next"', html).group(0))


def cursor_in(link: str, name: str) -> str:
    return re.search(rf"{name}=([\w-]+)", link).group(1)


@pytest.fixture
def topic_and_speakers(make_prediction) -> Topic:
    """Five speakers with one outcome each, all in topic "compute": the speakers tab at two a
    page has three pages, with or without the topic."""
    compute = Topic.objects.create(slug="compute", name="Compute")
    for i in range(5):
        speaker = Speaker.objects.create(name=f"Speaker {i}", slug=f"s-{i}")
        p = make_prediction(speaker=speaker, status=Status.RESOLVED, outcome="held_up")
        p.topics.add(compute)
    return compute


@pytest.mark.usefixtures("small_pages", "topic_and_speakers")
def test_a_numbered_scorecard_page_keeps_its_number_and_topic_and_drops_the_rest() -> None:
    assert canonical("/scorecard/speakers/?page=2&topic=compute&utm_source=chat&x=1") == (
        f"{ROOT}/scorecard/speakers/?topic=compute&page=2"
    )
    assert canonical("/scorecard/horizons/?page=3") == f"{ROOT}/scorecard/horizons/?page=3"
    # Past the end is the last page, which is what the canonical link names; page 1 is the page.
    assert canonical("/scorecard/speakers/?page=999") == f"{ROOT}/scorecard/speakers/?page=3"
    assert canonical("/scorecard/speakers/?page=1") == f"{ROOT}/scorecard/speakers/"
    # A tab that pages nothing has no page.
    assert canonical("/scorecard/?page=2&topic=compute") == f"{ROOT}/scorecard/?topic=compute"


def test_a_coming_due_page_keeps_its_cursor(make_prediction) -> None:
    for n in range(views.PAGE_SIZE + 1):
        make_prediction(due_on=date(2027, 1, 1) + timedelta(days=n))
    later = cursor_in(next_link("/scorecard/coming-due/"), "after")
    assert canonical(f"/scorecard/coming-due/?after={later}&utm_medium=x") == (
        f"{ROOT}/scorecard/coming-due/?after={later}"
    )
    # An older link's ?page= cursor is the same page as its ?after=.
    assert canonical(f"/scorecard/coming-due/?page={later}") == f"{ROOT}/scorecard/coming-due/?after={later}"
    earlier = keyset.encode((date(2027, 3, 1), 1))
    assert canonical(f"/scorecard/coming-due/?before={earlier}") == (
        f"{ROOT}/scorecard/coming-due/?before={earlier}"
    )


@pytest.mark.usefixtures("small_pages")
def test_a_speaker_page_keeps_its_topic_and_cursor_not_other_filters(
    topic_and_speakers, make_prediction
) -> None:
    ada = Speaker.objects.create(name="Ada", slug="ada")
    for n in range(5):
        make_prediction(speaker=ada, due_on=date(2027, 1, 1) + timedelta(days=n)).topics.add(
            topic_and_speakers
        )
    later = cursor_in(next_link("/speakers/ada/?topic=compute"), "after")
    assert canonical(f"/speakers/ada/?topic=compute&after={later}&source=x&speaker=s-1&utm_source=y") == (
        f"{ROOT}/speakers/ada/?topic=compute&after={later}"
    )
    assert canonical(f"/speakers/ada/?before={later}") == f"{ROOT}/speakers/ada/?before={later}"
    assert canonical("/speakers/ada/?source=x") == f"{ROOT}/speakers/ada/"


@pytest.mark.usefixtures("small_pages", "topic_and_speakers")
def test_the_record_keeps_its_filters_and_cursor() -> None:
    first = "/predictions/?topic=compute&status=resolved&utm_campaign=z"
    assert canonical(first) == f"{ROOT}/predictions/?topic=compute&status=resolved"
    later = cursor_in(next_link(first), "after")
    assert canonical(f"{first}&after={later}") == (
        f"{ROOT}/predictions/?topic=compute&status=resolved&after={later}"
    )


@pytest.mark.usefixtures("small_pages")
def test_a_topic_and_a_source_page_keep_their_cursor(topic_and_speakers, source) -> None:
    for path in ("/topics/compute/", f"/sources/{source.slug}/"):
        assert canonical(f"{path}?utm_source=a") == f"{ROOT}{path}"
        later = cursor_in(next_link(path), "after")
        assert canonical(f"{path}?after={later}&fbclid=1") == f"{ROOT}{path}?after={later}"


def test_a_prediction_page_drops_every_parameter(make_prediction) -> None:
    p = make_prediction()
    assert canonical(f"/predictions/{p.pk}/?page=2&topic=compute&speaker=a") == f"{ROOT}/predictions/{p.pk}/"
