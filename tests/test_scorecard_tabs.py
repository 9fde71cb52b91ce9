"""The scorecard's pages (issue 22): the first page answers "who called it" (the totals, the
TOP_SPEAKERS best-supported records, the horizons, the latest outcomes) and the long tables are
pages of their own behind tabs that are plain links carrying the filters: every speaker (paged),
speaker x horizon (paged by speaker), stances, coming due (keyset-paged), the timeline and
calibration."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import Client

from predictions import caching, keyset
from predictions.models import Source, Speaker, Status
from predictions.scorecard import TOP_SPEAKERS
from predictions.views import PAGE_SIZE, SCORECARD_TABS
from tests.support import cells

pytestmark = pytest.mark.django_db

TABS = {
    "/scorecard/": "Who called it",
    "/scorecard/speakers/": "Every speaker",
    "/scorecard/horizons/": "By horizon",
    "/scorecard/stances/": "Stances",
    "/scorecard/coming-due/": "Coming due",
    "/scorecard/timeline/": "When due",
    "/scorecard/calibration/": "Calibration",
}
# What each page shows that the first page does not, and the first page's own.
OWN_TABLE = {
    "/scorecard/": "by-speaker",
    "/scorecard/speakers/": "by-speaker",
    "/scorecard/horizons/": "by-speaker-horizon",
    "/scorecard/stances/": "stances-taken",
    "/scorecard/timeline/": "due-periods",
}


@pytest.fixture(autouse=True)
def fresh_process() -> None:
    caching.local.clear()


def tabs(html: str) -> list[tuple[str, str, bool]]:
    nav = re.search(r'<nav class="tabs" id="scorecard-tabs".*?</nav>', html, re.S).group(0)
    return [
        (href.replace("&amp;", "&"), label, bool(current))
        for href, current, label in re.findall(r'<a href="([^"]*)"( aria-current="page")?>([^<]*)</a>', nav)
    ]


def test_every_tab_is_a_page_of_its_own_linked_from_every_other(scored) -> None:
    for url, label in TABS.items():
        response = Client().get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        links = tabs(html)
        assert [(href, text) for href, text, _ in links] == list(TABS.items())
        assert [text for _, text, current in links if current] == [label], url
        # Every tab carries the totals, counted as the first page counts them.
        assert f'data-total="tracked">{len(scored)}<' in html, url
        if url in OWN_TABLE:
            assert f'id="{OWN_TABLE[url]}"' in html, url
    assert len(SCORECARD_TABS) == len(TABS)


def test_the_first_page_leaves_the_long_tables_to_their_pages(scored) -> None:
    html = Client().get("/").content.decode()
    for elsewhere in ("by-speaker-horizon", "stances-taken", "due-periods", "calibration", "probabilities"):
        assert f'id="{elsewhere}"' not in html, elsewhere
    assert [row[0] for row in cells(html, "by-speaker")] == [
        "Ada Lovelace",
        "Grace Hopper",
        "Unattributed (panel)",
    ]
    assert 'id="more-speakers"' not in html, "all three fit: no link to more"


def test_the_tabs_keep_the_filters_and_the_form_stays_on_its_tab(scored) -> None:
    html = Client().get("/scorecard/horizons/?speaker=ada-lovelace&utm_source=chat").content.decode()
    assert all(href.endswith("?speaker=ada-lovelace") for href, _, _ in tabs(html))
    assert '<form class="filters" method="get" action="/scorecard/horizons/">' in html
    assert [row[0] for row in cells(html, "by-speaker-horizon")] == [
        "Ada Lovelace",
        "Medium term",
        "Long term",
    ]


def test_the_tabs_need_no_script(scored) -> None:
    html = Client().get("/scorecard/stances/").content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts == [' src="/static/predictions/picker.js" defer']  # the menus' search, not the tabs
    assert "onclick" not in html


@pytest.fixture
def many_speakers(source: Source, make_prediction) -> list[Speaker]:
    """PAGE_SIZE + 5 speakers, speaker i with i + 1 predictions held up, so that the order
    (interval's lower end, then n) is the reverse of their numbers."""
    speakers = [
        Speaker.objects.create(name=f"Speaker {i:03}", slug=f"s-{i:03}") for i in range(PAGE_SIZE + 5)
    ]
    for i, speaker in enumerate(speakers):
        for _ in range(i + 1):
            make_prediction(speaker=speaker, status=Status.RESOLVED, outcome="held_up")
    return speakers


def names(html: str, table: str) -> list[str]:
    return [row[0] for row in cells(html, table)]


def test_the_first_page_shows_the_best_records_and_links_every_speaker(many_speakers) -> None:
    html = Client().get("/").content.decode()
    expected = [f"Speaker {i:03}" for i in range(PAGE_SIZE + 4, -1, -1)]
    assert names(html, "by-speaker") == expected[:TOP_SPEAKERS]
    more = re.search(r'<p class="more" id="more-speakers">(.*?)</p>', html, re.S).group(1)
    assert f"The {TOP_SPEAKERS} best-supported records of {PAGE_SIZE + 5}" in more
    assert 'href="/scorecard/speakers/"' in more


def test_every_speaker_is_on_the_speakers_pages_in_order(many_speakers) -> None:
    expected = [f"Speaker {i:03}" for i in range(PAGE_SIZE + 4, -1, -1)]
    first = Client().get("/scorecard/speakers/").content.decode()
    second = Client().get("/scorecard/speakers/?page=2").content.decode()
    assert names(first, "by-speaker") + names(second, "by-speaker") == expected
    assert 'rel="next" href="?page=2"' in first and 'rel="prev" href="?page=1"' in second
    # The chart draws the page's own speakers.
    assert "Speaker 000: 100%" in second and "Speaker 000: 100%" not in first
    assert "Speaker 054: 100%" in first and "Speaker 054: 100%" not in second


def test_speaker_by_horizon_is_paged_by_speaker(many_speakers) -> None:
    second = Client().get("/scorecard/horizons/?page=2").content.decode()
    assert names(second, "by-speaker-horizon") == [f"Speaker {i:03}" for i in range(4, -1, -1)]


def test_coming_due_lists_every_open_prediction_by_cursor(make_prediction) -> None:
    start = date(2027, 1, 1)
    made = [make_prediction(due_on=start + timedelta(days=n)) for n in range(PAGE_SIZE + 3)]
    # A deferred one comes back on its review-after date: between the 2nd and 3rd.
    deferred = make_prediction(due_on=date(2026, 12, 1), review_after=start + timedelta(days=1))
    expected = [made[0].pk, made[1].pk, deferred.pk, *(p.pk for p in made[2:])]
    first = Client().get("/scorecard/coming-due/")
    assert [p.pk for p in first.context["page"].object_list] == expected[:PAGE_SIZE]
    later = re.search(r'rel="next" href="\?after=([\w-]+)"', first.content.decode()).group(1)
    second = Client().get(f"/scorecard/coming-due/?after={later}")
    assert [p.pk for p in second.context["page"].object_list] == expected[PAGE_SIZE:]
    assert 'rel="next"' not in second.content.decode()
    assert 'href="/scorecard/coming-due/">First page</a>' in second.content.decode()


def test_a_coming_due_cursor_not_given_out_here_is_a_400_naming_it(make_prediction) -> None:
    make_prediction()
    for name in ("after", "before", "page"):
        response = Client().get(f"/scorecard/coming-due/?{name}=nonsense!")
        assert response.status_code == 400
        assert name in response.content.decode()


def test_a_page_number_past_the_end_shows_the_last_page_and_a_word_the_first(many_speakers) -> None:
    first = {"?page=x": "Speaker 054", "?page=999": "Speaker 004"}
    for query, expected in first.items():
        html = Client().get(f"/scorecard/speakers/{query}").content.decode()
        assert names(html, "by-speaker")[0] == expected, query


def test_coming_due_pages_back_to_the_page_before_by_cursor(make_prediction) -> None:
    start = date(2027, 1, 1)
    made = [make_prediction(due_on=start + timedelta(days=n)) for n in range(2 * PAGE_SIZE + 3)]
    expected = [p.pk for p in made]
    client = Client()
    html = client.get("/scorecard/coming-due/").content.decode()
    assert 'rel="prev"' not in html
    for _ in range(2):  # to the third page
        later = re.search(r'rel="next" href="\?after=([\w-]+)"', html).group(1)
        third = client.get(f"/scorecard/coming-due/?after={later}")
        html = third.content.decode()
    assert [p.pk for p in third.context["page"].object_list] == expected[2 * PAGE_SIZE :]
    # Earlier, from the third page: the second page's rows, then the first's, then no further.
    earlier = re.search(r'rel="prev" href="\?before=([\w-]+)"', html).group(1)
    second = client.get(f"/scorecard/coming-due/?before={earlier}")
    assert [p.pk for p in second.context["page"].object_list] == expected[PAGE_SIZE : 2 * PAGE_SIZE]
    html = second.content.decode()
    assert re.search(r'rel="next" href="\?after=([\w-]+)"', html)
    earlier = re.search(r'rel="prev" href="\?before=([\w-]+)"', html).group(1)
    first = client.get(f"/scorecard/coming-due/?before={earlier}")
    assert [p.pk for p in first.context["page"].object_list] == expected[:PAGE_SIZE]
    assert 'rel="prev"' not in first.content.decode()


def test_an_old_coming_due_link_by_page_cursor_still_pages_on(make_prediction) -> None:
    start = date(2027, 1, 1)
    made = [make_prediction(due_on=start + timedelta(days=n)) for n in range(PAGE_SIZE + 2)]
    cursor = keyset.encode((made[PAGE_SIZE - 1].due_on, made[PAGE_SIZE - 1].pk))
    response = Client().get(f"/scorecard/coming-due/?page={cursor}")
    assert [p.pk for p in response.context["page"].object_list] == [p.pk for p in made[PAGE_SIZE:]]
