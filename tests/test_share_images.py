"""Pictures for sharing (predictions/share_views.py, share_card.py): the OpenGraph images of
the scorecard, a speaker and a prediction, and a speaker's embeddable badge, each drawn once
per data version, with the pages' own numbers."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache
from PIL import Image

from predictions.actors import Actor
from predictions.decisions import resolve
from predictions.models import Outcome, Speaker
from predictions.tasks import flag_due

pytestmark = pytest.mark.django_db

AT = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def decide(reviewer):
    def decide(prediction, outcome):
        prediction.refresh_from_db()
        resolve(prediction, outcome=outcome, note="Checked.", actor=Actor.of(reviewer), at=AT)

    return decide


@pytest.fixture
def record(make_prediction, speaker, decide):
    """Ada: held up, partially, did not hold up, one open. With PARTIAL_CREDIT 0.5:
    (1 + 0.5) of 3 = 50%."""
    made = [make_prediction(speaker=speaker, due_on=date(2026, 6, 30)) for _ in range(3)]
    make_prediction(speaker=speaker, due_on=date(2030, 1, 1))
    flag_due(as_of=date(2027, 1, 1))
    for p, outcome in zip(made, (Outcome.HELD_UP, Outcome.PARTIALLY, Outcome.DID_NOT_HOLD_UP), strict=True):
        decide(p, outcome)
    return made


def png(response) -> Image.Image:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


@pytest.mark.parametrize("path", ["/scorecard/share.png", "/speakers/ada-lovelace/share.png", "prediction"])
def test_each_picture_is_a_1200_by_630_png_kept_until_the_data_changes(  # noqa: PLR0913 - fixtures
    client, record, decide, make_prediction, speaker, path
):
    if path == "prediction":
        path = f"/predictions/{record[0].pk}/share.png"
    first = client.get(path)
    assert png(first).size == (1200, 630)
    assert "max-age=300" in first["Cache-Control"] and "public" in first["Cache-Control"]
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # A write: a new version, a new picture.
    p = make_prediction(speaker=speaker, due_on=date(2026, 6, 30))
    flag_due(as_of=date(2027, 1, 1))
    decide(p, Outcome.HELD_UP)
    second = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200 and second["ETag"] != first["ETag"]


def test_the_pictures_are_drawn_once_per_version(client, record, monkeypatch):
    from predictions import share_views

    drawn = []
    real = share_views.draw
    monkeypatch.setattr(share_views, "draw", lambda card: drawn.append(card) or real(card))
    for _ in range(3):
        client.get("/speakers/ada-lovelace/share.png")
    [card] = drawn
    # The speaker page's own numbers. Wilson, z = 1.96, p = 0.5, n = 3: centre 0.5, half-width
    # 1.96 × √(0.25/3 + 3.8416/36) / (1 + 3.8416/3) = 0.3747, so 12.5%–87.5%, shown 13%–87%.
    assert card.numbers == "Ada Lovelace: 1.5 of 3 held up, 50% (13%–87%)"
    assert card.title == "Ada Lovelace"


def test_the_pages_name_their_picture_absolutely(client, record, settings):
    settings.SITE_ROOT = "https://tracker.example"
    pages = {
        "/": "https://tracker.example/scorecard/share.png",
        "/speakers/ada-lovelace/": "https://tracker.example/speakers/ada-lovelace/share.png",
        record[0].get_absolute_url(): f"https://tracker.example/predictions/{record[0].pk}/share.png",
    }
    for page, image in pages.items():
        html = client.get(page).content.decode()
        assert f'<meta property="og:image" content="{image}">' in html, page
        assert '<meta name="twitter:card" content="summary_large_image">' in html


def test_a_picture_survives_any_claim(client, make_prediction, speaker):
    long = make_prediction(speaker=speaker, claim="W" * 300 + " " + "word " * 120 + "\x0c\u202e end")
    assert png(client.get(f"/predictions/{long.pk}/share.png")).size == (1200, 630)


def test_the_badge_says_the_record_and_runs_nothing(client, record, speaker):
    speaker.name = 'Ada <script>alert("x")</script>'
    speaker.save()
    response = client.get("/speakers/ada-lovelace/badge.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert "1.5 of 3 held up · 50%" in svg
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    # Its width follows its text.
    width = int(re.search(r'<svg [^>]*width="(\d+)"', svg).group(1))
    assert width > len("1.5 of 3 held up · 50%") * 6


def test_a_speaker_with_nothing_scored_has_a_badge_saying_so(client):
    Speaker.objects.create(name="Grace Hopper", slug="grace-hopper")
    svg = client.get("/speakers/grace-hopper/badge.svg").content.decode()
    assert "0 tracked, none scored" in svg
    assert client.get("/speakers/nobody/badge.svg").status_code == 404
