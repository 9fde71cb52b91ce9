"""Feeds, calendars, the API and the downloads are linked where a reader sees them (the page's
footer), not only in its <head>, on every public page, and each link answers."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

FOLLOW = re.compile(r'<nav class="follow" id="follow"[^>]*>(.*?)</nav>', re.S)


@pytest.mark.parametrize("public_export", [True, False])
def test_every_public_page_links_its_feeds_calendar_api_and_downloads(
    client, make_prediction, speaker, settings, public_export
):
    """The downloads only where they are open to everyone (PUBLIC_EXPORT); else staff's."""
    settings.PUBLIC_EXPORT = public_export
    downloads = ["/export/resolutions.csv", "/export/resolutions.jsonl"] if public_export else []
    p = make_prediction(speaker=speaker)
    pages = ["/", f"/speakers/{speaker.slug}/", "/unattributed/", p.get_absolute_url(), "/no-such-page/"]
    for path in pages:
        [nav] = FOLLOW.findall(client.get(path).content.decode())
        hrefs = re.findall(r'href="([^"]+)"', nav)
        assert hrefs == ["/feeds/resolved.atom", "/calendar.ics", "/api/docs", *downloads], path
    for href in hrefs:
        assert client.get(href).status_code == 200, href


def test_a_prediction_page_leads_with_the_claim_due_date_criteria_and_outcome(
    client, make_prediction, speaker
):
    p = make_prediction(
        speaker=speaker, resolution_criteria="Two public benchmarks show it.", excerpt="I think so."
    )
    html = client.get(p.get_absolute_url()).content.decode()
    order = [
        html.index('<h1 class="claim">'),
        html.index('id="judged"'),
        html.index("Two public benchmarks show it."),
        html.index("Not yet judged"),
        html.index('id="attribution"'),  # then who said it and how it is known
        html.index('id="facts"'),
    ]
    assert order == sorted(order)


def test_a_speaker_page_leads_with_their_own_predictions(client, make_prediction, speaker):
    make_prediction(speaker=speaker, claim="The analytical engine computes.")
    html = client.get(f"/speakers/{speaker.slug}/").content.decode()
    order = [
        html.index('aria-labelledby="totals-h"'),
        html.index('aria-labelledby="list-h"'),
        html.index("The analytical engine computes."),
        html.index('id="stance-record"'),
        html.index('aria-labelledby="horizons-h"'),
    ]
    assert order == sorted(order)
