"""Public pages: the scorecard, a page per speaker, the unattributed (panel) predictions,
and a page per prediction with its whole public history. No login needed.

The views are short: which predictions (`filtering.py`), their numbers and rows
(`scorecard.py`), and how links and moments read (`templatetags/links.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from .decisions import SCHEDULER
from .filtering import FilterError, parse
from .models import UNATTRIBUTED, UNATTRIBUTED_LABEL, Event, Prediction, Source, Speaker
from .scorecard import partial_credit, scorecard_context, speaker_context
from .templatetags.links import safe_href

PAGE_SIZE = 50
# The scorecard's own filters; other parameters (a campaign tag on a shared link) are ignored.
SCORECARD_FILTERS = ("speaker", "source", "attribution")


def bad_filter(request: HttpRequest, error: FilterError) -> HttpResponse:
    return render(request, "predictions/bad_filter.html", {"error": error}, status=400)


@require_safe
def scorecard(request: HttpRequest) -> HttpResponse:
    try:
        filters = parse(request.GET, allowed=SCORECARD_FILTERS, ignore_unknown=True)
    except FilterError as error:
        return bad_filter(request, error)
    context = {
        "filters": filters,
        "speakers": Speaker.objects.order_by("name"),
        "sources": Source.objects.all(),
        "unattributed_value": UNATTRIBUTED,
        **scorecard_context(filters.apply(Prediction.objects.all())),
    }
    return render(request, "predictions/scorecard.html", context)


def speaker_page(request: HttpRequest, speaker: Speaker | None) -> HttpResponse:
    """A speaker's record, or (speaker None) the predictions said on the panel."""
    predictions = Prediction.objects.filter(speaker=speaker) if speaker else Prediction.objects.unattributed()
    page = Paginator(predictions.select_related("source").order_by("due_on", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    slug = speaker.slug if speaker else None
    context = {
        "speaker": speaker,
        "page": page,
        "filter_value": slug or UNATTRIBUTED,
        **speaker_context(predictions, slug, speaker.name if speaker else UNATTRIBUTED_LABEL),
    }
    return render(request, "predictions/speaker.html", context)


@require_safe
def speaker_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return speaker_page(request, get_object_or_404(Speaker, slug=slug))


@require_safe
def unattributed(request: HttpRequest) -> HttpResponse:
    return speaker_page(request, None)


def public_actor(event: Event) -> str:
    """Who decided, as the public sees it: a role, never a reviewer's user name."""
    if event.actor_id is None and event.actor_name == SCHEDULER.name:
        return "Scheduler"
    return "Reviewer"


@dataclass(frozen=True)
class PublicEvent:
    event: Event
    actor: str
    evidence: list[tuple[str, str]]  # (text, href or "" when not a web link)


@require_safe
def prediction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    prediction = get_object_or_404(Prediction.objects.select_related("speaker", "source"), pk=pk)
    history = [
        PublicEvent(
            event=event,
            actor=public_actor(event),
            evidence=[(str(url), safe_href(str(url))) for url in (event.evidence or [])],
        )
        for event in prediction.events.order_by("at", "id")
    ]
    context = {"prediction": prediction, "history": history, "partial_credit": partial_credit()}
    return render(request, "predictions/prediction_detail.html", context)
