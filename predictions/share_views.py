"""Pictures of the record, for sharing: the OpenGraph image of the scorecard, a speaker and a
prediction (PNG, `share_card.py`), and a speaker's badge for embedding elsewhere (SVG).

Each is drawn once per data version and kept in the cache under it (`caching.py`), with an
ETag of the same version: after a write the old pictures are never served again, and a
client or proxy holding the current one gets a 304. The numbers are the pages' own
(`scorecard.share_line`, `prediction_line`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.views.decorators.http import condition, require_safe

from . import caching
from .filtering import Filters
from .models import Prediction, Speaker, Status, data_version
from .scorecard import partial_credit, prediction_line, share_line
from .scoring import percent
from .share_card import Card, draw
from .tallies import total_of

CACHE_SECONDS = 24 * 3600
# Shared caches may keep a picture this long; the ETag makes a later fetch cheap.
MAX_AGE = 300


def version(request: HttpRequest, *args: object, **kwargs: object) -> str:
    """What every picture depends on: the data, PARTIAL_CREDIT, and the address it names."""
    if not hasattr(request, "share_version"):
        raw = f"{data_version()[0]}|{partial_credit()}|{settings.SITE_ROOT}"
        request.share_version = hashlib.sha256(raw.encode()).hexdigest()[:32]
    return request.share_version


def picture(request: HttpRequest, key: str, make: Callable[[], bytes], content_type: str) -> HttpResponse:
    body = caching.get(key, version(request))
    if body is None:
        body = make()
        caching.set(key, body, CACHE_SECONDS, version(request))
    response = HttpResponse(body, content_type=content_type)
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def footer() -> str:
    return urlsplit(settings.SITE_ROOT).netloc or settings.SITE_ROOT


@require_safe
@condition(etag_func=version)
def scorecard_image(request: HttpRequest) -> HttpResponse:
    def make() -> bytes:
        tally = total_of(Filters())
        numbers = share_line("All predictions", tally, tally.accuracy(partial_credit()))
        return draw(Card("Scorecard", "Who called it: the prediction scorecard", numbers, footer()))

    return picture(request, "share:scorecard", make, "image/png")


@require_safe
@condition(etag_func=version)
def speaker_image(request: HttpRequest, slug: str) -> HttpResponse:
    speaker = get_object_or_404(Speaker, slug=slug)

    def make() -> bytes:
        tally = total_of(Filters(speaker=slug))
        numbers = share_line(speaker.name, tally, tally.accuracy(partial_credit()))
        return draw(Card("Track record", speaker.name, numbers, footer()))

    return picture(request, f"share:speaker:{speaker.pk}", make, "image/png")


@require_safe
@condition(etag_func=version)
def prediction_image(request: HttpRequest, pk: int) -> HttpResponse:
    prediction = get_object_or_404(Prediction.objects.select_related("speaker", "source"), pk=pk)

    def make() -> bytes:
        accent = prediction.outcome if prediction.status == Status.RESOLVED else ""
        card = Card(prediction.speaker_label, prediction.claim, prediction_line(prediction), footer(), accent)
        return draw(card)

    return picture(request, f"share:prediction:{prediction.pk}", make, "image/png")


BADGE = """<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{label}: {value}">
<title>{label}: {value}</title>
<rect width="{left}" height="20" fill="#3f3f46"/><rect x="{left}" width="{right}" height="20" fill="{colour}"/>
<g fill="#fff" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11">
<text x="6" y="14">{label}</text><text x="{value_x}" y="14">{value}</text>
</g>
</svg>
"""
# Roughly 6.5 px a character at 11 px: the badge's width follows its text.
CHAR = 6.5


def badge(label: str, value: str, colour: str) -> str:
    left = round(len(label) * CHAR) + 12
    right = round(len(value) * CHAR) + 12
    return BADGE.format(
        width=left + right,
        left=left,
        right=right,
        value_x=left + 6,
        label=escape(label),
        value=escape(value),
        colour=colour,
    )


@require_safe
@condition(etag_func=version)
def speaker_badge(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Nathan Lambert | 5 of 8 held up · 63%": for a page elsewhere to embed as an image."""
    speaker = get_object_or_404(Speaker, slug=slug)

    def make() -> bytes:
        tally = total_of(Filters(speaker=slug))
        accuracy = tally.accuracy(partial_credit())
        if accuracy is None:
            return badge(speaker.name, f"{tally.tracked} tracked, none scored", "#71717a").encode()
        value = f"{accuracy.credited:g} of {accuracy.n} held up · {percent(accuracy.value)}"
        return badge(speaker.name, value, "#15803d" if accuracy.value >= 0.5 else "#b45309").encode()  # noqa: PLR2004 - half

    response = picture(request, f"share:badge:{speaker.pk}", make, "image/svg+xml")
    # Embedded on other sites: readable from anywhere, and nothing in it ever runs.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
