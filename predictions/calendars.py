"""Calendars of what comes due (iCalendar, built with the `icalendar` library).

One all-day event per prediction, on its due date: the summary is the claim; the description
says who said it, where, what would count as holding up, and links to its page. The UID is
the prediction's natural key (source slug + key) at this site's host, so a calendar app that
fetches the feed again updates an event rather than adding a second one, and a database
restored from an export keeps the same UIDs.

No calendar's cost grows without bound (issue 23):

- The site-wide `/calendar.ics` holds the next CALENDAR_SITE_EVENTS (default 500) coming due
  from today, in due-date order; every prediction is in its speaker's (or the panel's) and
  its source's calendar. A subscription to half a million events serves nobody.
- Every calendar streams: a StreamingHttpResponse over keyset pages of CALENDAR_PAGE_SIZE
  rows (`keyset.walk`), each event written as its row arrives, so memory is one page
  whatever the calendar's size and no database cursor is held while a client reads.
- Every calendar is conditional and cached under the data version (the token the database's
  triggers replace on every write to a prediction, speaker or source) and the day: the same
  version is its ETag and Last-Modified, a conditional fetch is a 304, and an unconditional
  one is the cached bytes (up to CALENDAR_CACHE_BYTES; a larger one streams afresh).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import condition, require_safe
from icalendar import Calendar, Event

from . import caching, keyset
from .models import UNATTRIBUTED_LABEL, Prediction, Source, Speaker, data_version

PRODID = "-//prediction-tracker//calendar//EN"
END = b"END:VCALENDAR\r\n"
# Every write changes the version, so a cached calendar is never stale; this bounds what is kept.
CACHE_SECONDS = 24 * 3600

# Characters no iCalendar text value may carry (RFC 5545 3.3.11 allows none of the controls
# but tab): the library escapes a newline, but a bare CR would end the line for a parser and
# start an invented property. Stored text keeps them; the calendar never shows them.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def site_events() -> int:
    """How many events the site-wide calendar holds: the next ones coming due."""
    return settings.CALENDAR_SITE_EVENTS


def page_size() -> int:
    """Rows per keyset page while streaming: one page is what a request holds in memory."""
    return settings.CALENDAR_PAGE_SIZE


def cache_bytes() -> int:
    """The largest calendar kept in the cache; a larger one is streamed afresh each time."""
    return settings.CALENDAR_CACHE_BYTES


def one_line(text: str) -> str:
    """A name, title or claim as one line of plain text."""
    return CONTROLS.sub(" ", LINE_BREAKS.sub(" ", text)).strip()


def plain(text: str) -> str:
    """A multi-line text value: line breaks kept as newlines, other controls dropped."""
    return CONTROLS.sub(" ", LINE_BREAKS.sub("\n", text))


def site_host() -> str:
    return urlsplit(settings.SITE_ROOT).hostname or "localhost"


def describe(prediction: Prediction, url: str) -> str:
    source = prediction.source
    lines = [
        f"Said by: {one_line(prediction.speaker.name) if prediction.speaker else UNATTRIBUTED_LABEL}",
        f"Where: {one_line(source.title)} ({source.published_on:%d %b %Y})",
        f"Resolution criteria: {prediction.resolution_criteria}",
        f"Status: {prediction.get_status_display()}"
        + (f", {prediction.get_outcome_display().lower()}" if prediction.outcome else ""),
        url,
    ]
    return plain("\n".join(lines))


def event_of(prediction: Prediction, host: str) -> bytes:
    url = f"{settings.SITE_ROOT}{prediction.get_absolute_url()}"  # once: reverse() is a tenth of the time
    event = Event()
    event.add("uid", f"prediction-{prediction.source.slug}-{prediction.key}@{host}")
    # DTSTAMP from the row's last change (not "now"), so an unchanged calendar is the same
    # bytes on every fetch and its ETag holds.
    event.add("dtstamp", prediction.updated_at)
    event.add("dtstart", prediction.due_on)
    # An all-day event is its DTSTART's day; DTEND (the day after) is said where it exists:
    # a due date of 9999-12-31 has no day after, and RFC 5545 3.6.1 lets it go unsaid.
    if prediction.due_on < date.max:
        event.add("dtend", prediction.due_on + timedelta(days=1))
    event.add("summary", one_line(prediction.claim))
    event.add("description", describe(prediction, url))
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event.to_ical()


def header(name: str, description: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", one_line(name))
    calendar.add("x-wr-caldesc", plain(description))
    # The calendar's own text without its END line: the events stream in between.
    return calendar.to_ical().removesuffix(END)


def calendar_chunks(
    name: str, description: str, predictions: QuerySet[Prediction], limit: int | None = None
) -> Iterator[bytes]:
    """The calendar as bytes, one chunk per keyset page of events, header first."""
    yield header(name, description)
    host = site_host()
    rows = predictions.select_related("speaker", "source")
    page: list[bytes] = []
    for prediction in keyset.walk(rows, page_size(), limit):
        page.append(event_of(prediction, host))
        if len(page) >= page_size():
            yield b"".join(page)
            page = []
    if page:
        yield b"".join(page)
    yield END


def calendar_of(
    name: str, description: str, predictions: QuerySet[Prediction], limit: int | None = None
) -> bytes:
    """The whole calendar in one piece (tests and tools; the views stream it)."""
    return b"".join(calendar_chunks(name, description, predictions, limit))


def kept(chunks: Iterator[bytes], key: str, version: str) -> Iterator[bytes]:
    """`chunks` passed on as they come, and kept in the cache once all have passed, if the
    whole is at most cache_bytes(): what is held meanwhile is bounded by that size."""
    held: list[bytes] | None = []
    size = 0
    for chunk in chunks:
        if held is not None:
            size += len(chunk)
            if size <= cache_bytes():
                held.append(chunk)
            else:
                held = None
        yield chunk
    if held is not None:
        caching.set(key, b"".join(held), CACHE_SECONDS, version)


def calendar_version(request: HttpRequest) -> tuple[str, datetime]:
    """What a calendar depends on besides its address — the data version, and the day (the
    site-wide calendar starts today) — and when that last changed. Read once per request
    and before any row: a write committed meanwhile can only make the calendar newer than
    its version, never older."""
    if not hasattr(request, "calendar_version"):
        token, changed_at = data_version()
        today = timezone.localdate()
        midnight = timezone.make_aware(datetime.combine(today, time.min))
        text = f"{request.path}|{token}|{today.isoformat()}|{site_events()}|{settings.SITE_ROOT}"
        etag = hashlib.sha256(text.encode()).hexdigest()[:32]
        request.calendar_version = (etag, max(changed_at or midnight, midnight))
    return request.calendar_version


def calendar_etag(request: HttpRequest, *args: object, **kwargs: object) -> str:
    return calendar_version(request)[0]


def calendar_last_modified(request: HttpRequest, *args: object, **kwargs: object) -> datetime:
    return calendar_version(request)[1]


def ics(
    request: HttpRequest,
    filename: str,
    build: Callable[[], Iterator[bytes]],
) -> StreamingHttpResponse:
    """The calendar `build()` streams, or its cached bytes under this version."""
    version = calendar_version(request)[0]
    key = "calendar:" + hashlib.sha256(request.path.encode()).hexdigest()
    cached = caching.get(key, version)
    chunks = iter([cached]) if cached is not None else kept(build(), key, version)
    response = StreamingHttpResponse(chunks, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}.ics"'
    return response


def calendar_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only, conditional on the calendar's version (ETag, Last-Modified)."""
    return require_safe(condition(etag_func=calendar_etag, last_modified_func=calendar_last_modified)(view))


def rest_of_it() -> str:
    return (
        f"Every prediction is also in its speaker's calendar ({settings.SITE_ROOT}/speakers/<slug>/calendar.ics,"
        f" the panel's at {settings.SITE_ROOT}/unattributed/calendar.ics)"
        f" and its source's ({settings.SITE_ROOT}/sources/<slug>/calendar.ics)."
    )


@calendar_view
def all_predictions(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    limit = site_events()
    description = (
        f"The next {limit} predictions coming due, from {today:%d %b %Y}, by due date. {rest_of_it()}"
    )
    coming = Prediction.objects.filter(due_on__gte=today)
    return ics(
        request,
        "predictions",
        lambda: calendar_chunks("Predictions coming due", description, coming, limit),
    )


@calendar_view
def speaker(request: HttpRequest, slug: str) -> HttpResponse:
    who = get_object_or_404(Speaker, slug=slug)
    name = f"Predictions by {who.name}"
    description = f"Every prediction by {one_line(who.name)}, by due date."
    theirs = Prediction.objects.filter(speaker=who)
    return ics(request, who.slug, lambda: calendar_chunks(name, description, theirs))


@calendar_view
def unattributed(request: HttpRequest) -> HttpResponse:
    name = f"Predictions: {UNATTRIBUTED_LABEL}"
    description = "Every prediction said on the panel (attributed to no one by name), by due date."
    panel = Prediction.objects.unattributed()
    return ics(request, "unattributed", lambda: calendar_chunks(name, description, panel))


@calendar_view
def source(request: HttpRequest, slug: str) -> HttpResponse:
    where = get_object_or_404(Source, slug=slug)
    name = f"Predictions from {where.title}"
    description = f"Every prediction from {one_line(where.title)}, by due date."
    said_there = Prediction.objects.filter(source=where)
    return ics(request, where.slug, lambda: calendar_chunks(name, description, said_there))
