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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import condition, require_safe

from . import caching, keyset
from . import scorecard as figures
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
from .paging import KeysetPage, cursor_rows, keyset_page
from .scorecard import partial_credit, speaker_context, stances_taken
from .tallies import most_predicted
from .transitions import settlement

PAGE_SIZE = 50
# The scorecard's own filters; other parameters (a campaign tag on a shared link) are ignored.
SCORECARD_FILTERS = ("speaker", "source", "topic", "attribution")
# The source and speaker menus list this many, most predictions first; a search finds the rest.
PICKER_SIZE = 50
PICKER_MATCHES = 20


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


def version_etag(version: str) -> str:
    return hashlib.sha256(version.encode()).hexdigest()[:32]


def scorecard_etag(request: HttpRequest) -> str:
    return version_etag(scorecard_version(request)[0])


def scorecard_last_modified(request: HttpRequest) -> datetime:
    return scorecard_version(request)[1]


def picker_choices(dimension: str, chosen: tuple[str, str] | None) -> list[tuple[str, str]]:
    """A menu's (slug, label) pairs: the top ones and, wherever it ranks, the chosen one."""
    top = [(slug, label) for _, slug, label in most_predicted(dimension, PICKER_SIZE)]
    if chosen is None or chosen in top:
        return top
    return [chosen, *top]


@dataclass(frozen=True)
class Tab:
    """One of the scorecard's pages: its URL name, its label in the tabs, its template, its
    numbers (`scorecard.py`), and what its `?page=` pages, if anything (in PAGE_SIZE rows)."""

    name: str
    label: str
    template: str
    context: Callable[[Filters], dict[str, Any]]
    paged: str = ""


SCORECARD_TABS = {
    tab.name: tab
    for tab in (
        Tab("scorecard", "Who called it", "scorecard.html", figures.overview_context),
        Tab(
            "scorecard-all-speakers",
            "Every speaker",
            "scorecard_speakers.html",
            figures.speakers_context,
            "speaker_rows",
        ),
        Tab(
            "scorecard-horizons",
            "By horizon",
            "scorecard_horizons.html",
            figures.horizons_context,
            "speaker_by_horizon",
        ),
        Tab("scorecard-stances", "Stances", "scorecard_stances.html", figures.stances_context),
        Tab("scorecard-coming-due", "Coming due", "scorecard_coming_due.html", figures.coming_due_context),
        Tab("scorecard-timeline", "When due", "scorecard_timeline.html", figures.timeline_context),
        Tab(
            "scorecard-calibration", "Calibration", "scorecard_calibration.html", figures.calibration_context
        ),
    )
}


def scorecard_page(
    request: HttpRequest, tab: Tab, filters: Filters, page: tuple[str, str] | None
) -> HttpResponse:
    speaker, source = filters.speaker_obj, filters.source_obj
    # From the parsed filters, as the cache key is: the cached page is shared by every
    # request that differs only in other parameters, so none of theirs may show in it.
    kept = [
        (name, getattr(filters, name))
        for name in CANONICAL_PARAMS
        if name in SCORECARD_FILTERS and getattr(filters, name)
    ]
    context = {
        "filters": filters,
        "speakers": picker_choices("speaker", speaker and (speaker.slug, speaker.name)),
        "sources": picker_choices("source", source and (source.slug, source.title)),
        "unattributed_value": UNATTRIBUTED,
        "attribution_choices": [(ATTESTED_VALUE, ATTESTED_LABEL), *Attribution.choices],
        "filter_query": urlencode(kept),
        "tabs": SCORECARD_TABS.values(),
        "tab": tab,
        **topic_links(request, kept),
        **tab.context(filters),
    }
    if tab.paged:
        context["page"] = Paginator(context[tab.paged], PAGE_SIZE).get_page(page and page[1])
    if tab.name == "scorecard-all-speakers":  # the chart and the legend of this page's rows
        rows = context["page"].object_list
        context["speaker_chart"] = figures.speaker_chart(rows)
        context["page_inferred"] = any(row.inferred for row in rows)
    if tab.name == "scorecard-coming-due":
        context["page"] = coming_due_page(filters, page)
    context["canonical_query"] = kept + shown_page(context.get("page"))
    return render(request, f"predictions/{tab.template}", context)


def shown_page(page: Page | KeysetPage | None) -> list[tuple[str, str]]:
    """The parameter of the page shown, for its canonical link: the number a numbered page
    has (past the end, the last; none for the first), a cursor page's own cursor."""
    if isinstance(page, KeysetPage):
        return [page.here] if page.here else []
    if page is not None and page.number > 1:
        return [("page", str(page.number))]
    return []


def topic_links(request: HttpRequest, kept: list[tuple[str, str]]) -> dict[str, object]:
    """What `_topic_links.html` needs: the topics, and this page's address with its other
    filters (a topic link adds its own; "all topics" drops it; a page number is dropped)."""
    others = [(name, value) for name, value in kept if name not in ("topic", "page")]
    query = urlencode(others)
    return {
        "topics": Topic.objects.order_by("name"),
        "topic_base": f"?{query}&" if query else "?",
        "topic_clear": f"{request.path}?{query}" if query else request.path,
    }


def coming_due_page(filters: Filters, page: tuple[str, str] | None) -> KeysetPage:
    """PAGE_SIZE open predictions in the order they come up for review, after or before the
    cursor `page` (("after" or "before", cursor)), each way an index range on
    `prediction_next_review`, with the cursors of the pages either side."""
    after = page[1] if page and page[0] == "after" else None
    before = page[1] if page and page[0] == "before" else None
    coming = figures.coming_due(filters.apply(Prediction.objects.all()))
    rows, previous, following = cursor_rows(coming, after, before, PAGE_SIZE, "next_review")
    return KeysetPage(object_list=rows, previous=previous, next=following, count=0, here=page)


def fresh_only(request: HttpRequest) -> bool:
    """A signed-in user (a reviewer back from the admin) must see their own decision: never a
    page rendered before it. Reading the session costs a query only when there is a cookie."""
    return request.user.is_authenticated


def page_parameter(request: HttpRequest, tab: Tab) -> tuple[str, str] | None:
    """The tab's page as the cache key and the page read it, (parameter, value): a `?page=`
    number where the tab pages a list, an `?after=` or `?before=` cursor on "Coming due"
    (an older link's `?page=` cursor read as `after`), None elsewhere (where it changes
    nothing) and for the first page."""
    if tab.name == "scorecard-coming-due":
        for name, direction in (("before", "before"), ("after", "after"), ("page", "after")):
            value = request.GET.get(name, "")[:100]
            if value:
                try:
                    keyset.decode(value)
                except ValueError:
                    raise FilterError(name, value, "not a page this site gave out") from None
                return direction, value
        return None
    value = request.GET.get("page", "")[:100]
    if tab.paged and value.isdigit():
        return "page", value
    return None


def scorecard_key(path: str, filters: Filters, page: tuple[str, str] | None = None) -> str:
    """The cache key of a scorecard page: its path, its own filters as parsed and its page,
    and nothing else: any other parameter (a campaign tag, a random one per request) changes
    nothing on the page, so it must not buy a fresh render."""
    made_of = [getattr(filters, name) for name in SCORECARD_FILTERS]
    return "scorecard:" + hashlib.sha256(repr((path, made_of, page)).encode()).hexdigest()


def scorecard_tab(request: HttpRequest, name: str) -> HttpResponse:
    tab = SCORECARD_TABS[name]
    try:
        filters = parse(request.GET, allowed=SCORECARD_FILTERS, ignore_unknown=True)
        page = page_parameter(request, tab)
    except FilterError as error:
        return bad_filter(request, error)
    key = scorecard_key(request.path, filters, page)
    version, changed_at = scorecard_version(request)
    # One render per version for every process (caching.rendered_page): while another
    # request renders this version, readers get the one before, and its own ETag.
    served = caching.rendered_page(
        key,
        version,
        changed_at,
        lambda: scorecard_page(request, tab, filters, page).content,
        stale_ok=not fresh_only(request),
        behind=settings.SCORECARD_RENDER_BEHIND,
    )
    etag = quote_etag(version_etag(served.version))
    if served.version != version:
        # @condition answered for the current version; this is the one before it.
        not_modified = get_conditional_response(
            request, etag=etag, last_modified=timestamp(served.changed_at)
        )
        if not_modified is not None:
            return not_modified
    response = HttpResponse(served.content)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(timestamp(served.changed_at))
    return response


def timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


def scorecard_view(name: str) -> Callable[[HttpRequest], HttpResponse]:
    """The view of the scorecard's tab `name`: conditional on the current version (a 304 costs
    the data version's one query), cached and served by `scorecard_tab`."""

    @require_safe
    @condition(etag_func=scorecard_etag, last_modified_func=scorecard_last_modified)
    def view(request: HttpRequest) -> HttpResponse:
        return scorecard_tab(request, name)

    view.__name__ = name.replace("-", "_")
    return view


scorecard = scorecard_view("scorecard")


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
        # ?topic=: their record within one topic (filtering.py), their stances too.
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
    label = speaker.name if speaker else UNATTRIBUTED_LABEL
    record = speaker_context(filters, label)
    # Within a topic, the stances on that topic's predictions, as speaker_context counts them.
    stances = stances_taken(slug, filters.topic_obj)
    stance_page = Paginator(stances, PAGE_SIZE).get_page(request.GET.get("stances_page"))
    stances = [("stances_page", str(stance_page.number))] if stance_page.number > 1 else []
    context = {
        "speaker": speaker,
        "page": page,
        "page_query": urlencode([*topic, *shown_page(page)]),
        "topic_query": urlencode(topic),
        # What makes this page: the topic, the cursor, the stances' page; no other parameter.
        "canonical_query": [*topic, *shown_page(page), *stances],
        "stance_page": stance_page,
        "filter_value": slug or UNATTRIBUTED,
        "filters": filters,
        "topics": Topic.objects.order_by("name"),
        **record,
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
        # A prediction's page is its path: no parameter makes another.
        "canonical_query": [],
    }
    return render(request, "predictions/prediction_detail.html", context)
