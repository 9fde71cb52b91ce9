"""OpenGraph / Twitter-card metadata on the scorecard, speaker and prediction pages: the
one-line summary carries the page's own numbers, and every value is escaped."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def meta(html: str) -> dict[str, str]:
    found = re.findall(r'<meta (?:property|name)="((?:og|twitter):[\w:]+)" content="([^"]*)">', html)
    tags = {name: unescape(value) for name, value in found}
    canonical = re.search(r'<link rel="canonical" href="([^"]*)">', html)
    tags["canonical"] = unescape(canonical.group(1)) if canonical else ""
    return tags


@pytest.mark.usefixtures("scored")
def test_the_speaker_page_shares_its_record_as_the_page_shows_it() -> None:
    html = Client().get("/speakers/ada-lovelace/").content.decode()
    tags = meta(html)
    # Ada: (2 + 0.5) / 4 = 62.5% -> 63%, interval 21.9%–90.8% (tests/test_scorecard.py).
    assert tags["og:description"] == "Ada Lovelace: 2.5 of 4 held up, 63% (22%–91%)"
    assert tags["twitter:description"] == tags["og:description"]
    assert tags["og:title"] == tags["twitter:title"] == "Ada Lovelace"
    assert tags["og:url"] == tags["canonical"] == "http://127.0.0.1:8000/speakers/ada-lovelace/"
    # With a picture of the record (tests/test_share_images.py), the large card.
    assert tags["twitter:card"] == "summary_large_image"
    assert (
        tags["og:image"] == tags["twitter:image"] == "http://127.0.0.1:8000/speakers/ada-lovelace/share.png"
    )
    # The same numbers as the page's own accuracy line.
    assert '<strong data-overall="value">63%</strong>' in html
    assert '<span data-overall="interval">22%–91%</span>' in html


@pytest.mark.usefixtures("scored")
def test_the_scorecard_shares_the_overall_record_and_keeps_only_real_filters() -> None:
    tags = meta(Client().get("/?speaker=grace-hopper&utm_source=chat").content.decode())
    assert tags["og:description"] == "Grace Hopper: 1 of 1 held up, 100% (21%–100%)"
    assert tags["canonical"] == "http://127.0.0.1:8000/?speaker=grace-hopper"
    overall = meta(Client().get("/scorecard/").content.decode())
    assert overall["og:description"] == "All predictions: 4.5 of 7 held up, 64% (30%–88%)"


def test_a_prediction_page_shares_its_claim_and_standing(make_prediction, speaker) -> None:
    p = make_prediction(speaker=speaker, claim='A "quoted" <b>bold</b> claim & more.')
    html = Client().get(f"/predictions/{p.pk}/").content.decode()
    assert (
        '<meta property="og:title" content="A &quot;quoted&quot; &lt;b&gt;bold&lt;/b&gt; claim &amp; more.">'
        in html
    )
    tags = meta(html)
    assert tags["og:title"] == 'A "quoted" <b>bold</b> claim & more.'
    assert tags["og:description"] == "Ada Lovelace in Test podcast, due 31 Dec 2026: open"
    assert tags["og:type"] == "article"


def test_a_name_with_markup_is_escaped_in_the_metadata(make_prediction) -> None:
    from predictions.models import Speaker

    Speaker.objects.create(name='Eve "<script>"', slug="eve")
    html = Client().get("/speakers/eve/").content.decode()
    assert "<script>" not in html.split("</head>")[0]
    assert meta(html)["og:description"] == 'Eve "<script>": 0 predictions tracked, none scored yet'
