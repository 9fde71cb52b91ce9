"""Public pages: the scorecard, a page per speaker, the unattributed (panel) predictions,
and a page per prediction with its whole public history. No login needed.

The views are short: which predictions (`filtering.py`), their numbers and rows
(`scorecard.py`), and how links and moments read (`templatetags/links.py`).

The scorecard is cached, rendered, per filter under the data version (`models/tally.py`
`DataVersion`), which the database's triggers replace with every write to a prediction,
speaker, source or stance; the same version is its ETag and Last-Modified, so a browser's
conditional request is a 304 until something changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import condition, require_safe

from . import caching, keyset
from .actors import public_label
from .archiving import copies_by_url
from .claimreview import claim_review
from .filtering import ATTESTED_LABEL, ATTESTED_VALUE, CANONICAL_PARAMS, FilterError, Filters, parse
from .links import safe_href
from .models import (
    UNATTRIBUTED,
    UNATTRIBUTED_LABEL,
    ArchivedCopy,
    Attribution,
    Event,
    Prediction,
    Source,
    Speaker,
    Topic,
    data_version,
)
from .paging import keyset_page
from .scorecard import partial_credit, scorecard_context, speaker_context, stances_taken
from .tallies import most_predicted
from .transitions import settlement

PAGE_SIZE = 50
# The scorecard's own filters; other parameters (a campaign tag on a shared link) are ignored.
SCORECARD_FILTERS = ("speaker", "source", "attribution")
# The source and speaker menus list this many, most predictions first; a search finds the rest.
PICKER_SIZE = 50
PICKER_MATCHES = 20
# Every write changes the key, so an entry is never stale; this only bounds what is kept.
SCORECARD_CACHE_SECONDS = 24 * 3600


def bad_filter(request: HttpRequest, error: FilterError) -> HttpResponse:
    return render(request, "predictions/bad_filter.html", {"error": error}, status=400)


def scorecard_version(request: HttpRequest) -> tuple[str, datetime]:
    """What the page depends on besides its filters — the data version, the day (the
    timeline and "coming due" move at midnight) and PARTIAL_CREDIT — and when that last
    changed. Read once per request and before any number on the page: a write committed
    meanwhile can then only make the page newer than its version, never older."""
    if not hasattr(request, "scorecard_version"):
        token, changed_at = data_version()
        today = timezone.localdate()
        midnight = timezone.make_aware(datetime.combine(today, time.min))
        version = f"{token}|{today.isoformat()}|{partial_credit()}"
        request.scorecard_version = (version, max(changed_at or midnight, midnight))
    return request.scorecard_version


def scorecard_etag(request: HttpRequest) -> str:
    return hashlib.sha256(scorecard_version(request)[0].encode()).hexdigest()[:32]


def scorecard_last_modified(request: HttpRequest) -> datetime:
    return scorecard_version(request)[1]


def picker_choices(dimension: str, chosen: tuple[str, str] | None) -> list[tuple[str, str]]:
    """A menu's (slug, label) pairs: the top ones and, wherever it ranks, the chosen one."""
    top = [(slug, label) for _, slug, label in most_predicted(dimension, PICKER_SIZE)]
    if chosen is None or chosen in top:
        return top
    return [chosen, *top]


def scorecard_page(request: HttpRequest, filters: Filters) -> HttpResponse:
    speaker, source = filters.speaker_obj, filters.source_obj
    context = {
        "filters": filters,
        "speakers": picker_choices("speaker", speaker and (speaker.slug, speaker.name)),
        "sources": picker_choices("source", source and (source.slug, source.title)),
        "unattributed_value": UNATTRIBUTED,
        "attribution_choices": [(ATTESTED_VALUE, ATTESTED_LABEL), *Attribution.choices],
        # From the parsed filters, as the cache key is: the cached page is shared by every
        # request that differs only in other parameters, so none of theirs may show in it.
        "canonical_query": [
            (name, getattr(filters, name))
            for name in CANONICAL_PARAMS
            if name in SCORECARD_FILTERS and getattr(filters, name)
        ],
        **scorecard_context(filters),
    }
    return render(request, "predictions/scorecard.html", context)


@require_safe
@condition(etag_func=scorecard_etag, last_modified_func=scorecard_last_modified)
def scorecard(request: HttpRequest) -> HttpResponse:
    try:
        filters = parse(request.GET, allowed=SCORECARD_FILTERS, ignore_unknown=True)
    except FilterError as error:
        return bad_filter(request, error)
    # The page's own filters as parsed, and nothing else: any other parameter (?page=, a
    # campaign tag, a random one per request) changes nothing on the page, so it must not
    # buy a fresh render.
    made_of = [getattr(filters, name) for name in SCORECARD_FILTERS]
    key = "scorecard:" + hashlib.sha256(repr((request.path, made_of)).encode()).hexdigest()
    # What the page depends on besides its filters is the cache's own `version` (the ETag):
    # after a write the old versions are never read again and expire.
    version = scorecard_etag(request)
    # caching.py: a cache that is down means a fresh render, not an error.
    html = caching.get(key, version)
    if html is not None:
        return HttpResponse(html)
    response = scorecard_page(request, filters)
    caching.set(key, response.content, SCORECARD_CACHE_SECONDS, version)
    return response


@require_safe
def picker_search(request: HttpRequest, kind: str) -> JsonResponse:
    """The scorecard menus' search: up to PICKER_MATCHES speakers or sources whose name or
    slug contains `q`, by name, as {"results": [{"value": slug, "label": name}]}."""
    term = request.GET.get("q", "").strip()[:100]
    if kind == "speakers":
        found = Speaker.objects.filter(Q(name__icontains=term) | Q(slug__icontains=term)).order_by("name")
        pairs = found.values_list("slug", "name")
    else:
        found = Source.objects.filter(Q(title__icontains=term) | Q(slug__icontains=term)).order_by("title")
        pairs = found.values_list("slug", "title")
    results = [{"value": slug, "label": label} for slug, label in pairs[:PICKER_MATCHES]] if term else []
    return JsonResponse({"results": results})


# Past every prediction: `?before=` this is the last page.
END_KEY = (date.max, 2**62)


def numbered_page_redirect(request: HttpRequest, predictions: QuerySet[Prediction]) -> HttpResponse:
    """An old `?page=N` link: sent on to the same rows by cursor (`?after=` the row before
    them; past the end, the last page). Reading the key costs a walk of (N-1) x PAGE_SIZE
    index entries, once per old link; the pages it leads to cost what the first does."""
    query = request.GET.copy()
    number = query.pop("page", [""])[-1]
    try:
        skip = (int(number) - 1) * PAGE_SIZE
    except ValueError:
        skip = 0
    if skip > 0:
        keys = predictions.order_by("due_on", "id").values_list("due_on", "id")[skip - 1 : skip]
        found = next(iter(keys), None)
        query["after" if found else "before"] = keyset.encode(found or END_KEY)
    return HttpResponseRedirect(f"{request.path}?{query.urlencode()}" if query else request.path)


def speaker_page(request: HttpRequest, speaker: Speaker | None) -> HttpResponse:
    """A speaker's record, or (speaker None) the predictions said on the panel."""
    slug = speaker.slug if speaker else None
    try:
        # ?topic=: their record within one topic (filtering.py; the stances stay whole).
        filters = parse(
            {"speaker": slug or UNATTRIBUTED, "topic": request.GET.get("topic")}, ("speaker", "topic")
        )
    except FilterError as error:
        return HttpResponse(f"{error}; start at {request.path}\n", status=400, content_type="text/plain")
    predictions = filters.apply(Prediction.objects.all())
    if "page" in request.GET:
        return numbered_page_redirect(request, predictions)
    try:
        page = keyset_page(predictions, request.GET.get("after"), request.GET.get("before"), PAGE_SIZE)
    except FilterError as error:
        return HttpResponse(f"{error}; start at {request.path}\n", status=400, content_type="text/plain")
    topic = [("topic", filters.topic)] if filters.topic else []
    context = {
        "speaker": speaker,
        "page": page,
        "page_query": urlencode([*topic, *([page.here] if page.here else [])]),
        "topic_query": urlencode(topic),
        "stance_page": Paginator(stances_taken(slug), PAGE_SIZE).get_page(request.GET.get("stances_page")),
        "filter_value": slug or UNATTRIBUTED,
        "filters": filters,
        "topics": Topic.objects.order_by("name"),
        **speaker_context(filters, speaker.name if speaker else UNATTRIBUTED_LABEL),
    }
    return render(request, "predictions/speaker.html", context)


@require_safe
def speaker_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return speaker_page(request, get_object_or_404(Speaker, slug=slug))


@require_safe
def unattributed(request: HttpRequest) -> HttpResponse:
    return speaker_page(request, None)


@dataclass(frozen=True)
class PublicEvent:
    event: Event
    actor: str
    # (text, href or "" when not a web link, its archived copy or None)
    evidence: list[tuple[str, str, ArchivedCopy | None]]


@require_safe
def prediction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    prediction = get_object_or_404(Prediction.objects.select_related("speaker", "source"), pk=pk)
    events = list(prediction.events.order_by("at", "id"))
    copies = copies_by_url(events)
    history = [
        PublicEvent(
            event=event,
            actor=public_label(event.actor_id, event.actor_name),
            evidence=[
                (str(url), safe_href(str(url)), copies.get((event.pk, str(url))))
                for url in (event.evidence or [])
            ],
        )
        for event in events
    ]
    context = {
        "prediction": prediction,
        "stances": prediction.stances.select_related("speaker").order_by(
            F("source_timestamp").asc(nulls_last=True), "id"
        ),
        "history": history,
        # Proposed, disputed, confirmed or settled (a panel of reviewers), from the history.
        "settlement": settlement(prediction.status, events),
        "partial_credit": partial_credit(),
        "claim_review": claim_review(prediction, [row.event for row in history]),
        # Readers' challenges, only once a reviewer answered them (challenges.py).
        "challenges": prediction.challenges.answered().order_by("created_at", "id"),
    }
    return render(request, "predictions/prediction_detail.html", context)
