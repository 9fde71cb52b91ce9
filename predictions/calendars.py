"""Calendars of what comes due (iCalendar, built with the `icalendar` library).

One all-day event per prediction, on its due date: the summary is the claim; the description
says who said it, where, what would count as holding up, and links to its page. The UID is
the prediction's natural key (source slug + key) at this site's host, so a calendar app that
fetches the feed again updates an event rather than adding a second one, and a database
restored from an export keeps the same UIDs.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import conditional_page, require_safe
from icalendar import Calendar, Event

from .models import UNATTRIBUTED_LABEL, Prediction, Source, Speaker

PRODID = "-//prediction-tracker//calendar//EN"

# Characters no iCalendar text value may carry (RFC 5545 3.3.11 allows none of the controls
# but tab): the library escapes a newline, but a bare CR would end the line for a parser and
# start an invented property. Stored text keeps them; the calendar never shows them.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def one_line(text: str) -> str:
    """A name, title or claim as one line of plain text."""
    return CONTROLS.sub(" ", LINE_BREAKS.sub(" ", text)).strip()


def plain(text: str) -> str:
    """A multi-line text value: line breaks kept as newlines, other controls dropped."""
    return CONTROLS.sub(" ", LINE_BREAKS.sub("\n", text))


def site_host() -> str:
    return urlsplit(settings.SITE_ROOT).hostname or "localhost"


def describe(prediction: Prediction) -> str:
    source = prediction.source
    lines = [
        f"Said by: {one_line(prediction.speaker.name) if prediction.speaker else UNATTRIBUTED_LABEL}",
        f"Where: {one_line(source.title)} ({source.published_on:%d %b %Y})",
        f"Resolution criteria: {prediction.resolution_criteria}",
        f"Status: {prediction.get_status_display()}"
        + (f", {prediction.get_outcome_display().lower()}" if prediction.outcome else ""),
        f"{settings.SITE_ROOT}{prediction.get_absolute_url()}",
    ]
    return plain("\n".join(lines))


def calendar_of(name: str, predictions: QuerySet[Prediction]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", one_line(name))
    host = site_host()
    rows = predictions.select_related("speaker", "source").order_by("due_on", "id")
    for prediction in rows.iterator(chunk_size=2000):
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
        event.add("description", describe(prediction))
        event.add("url", f"{settings.SITE_ROOT}{prediction.get_absolute_url()}")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()


def ics(name: str, predictions: QuerySet[Prediction], filename: str) -> HttpResponse:
    response = HttpResponse(calendar_of(name, predictions), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}.ics"'
    return response


@require_safe
@conditional_page
def all_predictions(request: HttpRequest) -> HttpResponse:
    return ics("Predictions coming due", Prediction.objects.all(), "predictions")


@require_safe
@conditional_page
def speaker(request: HttpRequest, slug: str) -> HttpResponse:
    who = get_object_or_404(Speaker, slug=slug)
    return ics(f"Predictions by {who.name}", Prediction.objects.filter(speaker=who), who.slug)


@require_safe
@conditional_page
def unattributed(request: HttpRequest) -> HttpResponse:
    return ics(f"Predictions: {UNATTRIBUTED_LABEL}", Prediction.objects.unattributed(), "unattributed")


@require_safe
@conditional_page
def source(request: HttpRequest, slug: str) -> HttpResponse:
    where = get_object_or_404(Source, slug=slug)
    return ics(f"Predictions from {where.title}", Prediction.objects.filter(source=where), where.slug)
