"""The browsable record: `/predictions/` (every prediction, filtered, searched, paged by
cursor), `/sources/` and a source's page, `/topics/` and a topic's page, each of the last
two with its own scorecard (per-speaker totals and calibration, `record.within`); the
topics' counts on `/topics/` are kept under the data version too.

Every page's queries are a constant number whatever the size of the table: one page of
rows by keyset (`paging.py`) with their speaker and source joined and their topics in one
more query, one COUNT, and the scorecard's few GROUP BYs. The topic and source scorecards
are cached under the data version, which a write to a prediction, a topic or a prediction's
topics changes (migrations 0008 and 0017).
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from . import caching
from .filtering import FilterError, Filters
from .models import Grain, Horizon, Outcome, Prediction, Source, Status, TallyRow, Topic, data_version
from .paging import KeysetPage, keyset_page
from .record import RecordQuery, parse_record, selected, within
from .scorecard import partial_credit
from .tallies import most_predicted

PAGE_SIZE = 50
# Every write changes the version, so an entry is never stale; this only bounds what is kept.
WITHIN_CACHE_SECONDS = 24 * 3600


def refused(request: HttpRequest, error: FilterError, back: str) -> HttpResponse:
    """A 400 naming the parameter and what it accepts."""
    return render(request, "predictions/record_bad_filter.html", {"error": error, "back": back}, status=400)


def with_topics(predictions: QuerySet[Prediction]) -> QuerySet[Prediction]:
    """A page's rows with their speaker and source joined, and their topics in one query."""
    return predictions.select_related("speaker", "source").prefetch_related(
        Prefetch("topics", queryset=Topic.objects.order_by("name"))
    )


def cached_within(filters: Filters, name: str) -> dict[str, Any]:
    """`record.within(filters)`, kept under the data version: a topic has no tally of its
    own, so its scorecard counts its predictions (the through table's topic index); cached,
    a reader pays that once per write, not once per page view."""
    token, _ = data_version()
    version = hashlib.sha256(f"{token}|{timezone.localdate()}|{partial_credit()}".encode()).hexdigest()[:32]
    key = "within:" + hashlib.sha256(f"{name}|{filters.source}|{filters.topic}".encode()).hexdigest()
    found = caching.get(key, version)
    if found is not None:
        return found
    context = within(filters)
    caching.set(key, context, WITHIN_CACHE_SECONDS, version)
    return context


def page_of(request: HttpRequest, predictions: QuerySet[Prediction]) -> KeysetPage:
    return keyset_page(
        with_topics(predictions), request.GET.get("after"), request.GET.get("before"), PAGE_SIZE
    )


@require_safe
def record(request: HttpRequest) -> HttpResponse:
    try:
        query = parse_record(request.GET)
        page = page_of(request, selected(query))
    except FilterError as error:
        return refused(request, error, request.path)
    context = {
        "query": query,
        "page": page,
        "page_query": urlencode(query.query_items()),
        # The selection as parsed, and the cursor: a tracking tag is no part of the page.
        "canonical_query": [*query.query_items(), *([page.here] if page.here else [])],
        "topics": Topic.objects.order_by("name"),
        "speakers": speaker_choices(query),
        "sources": Source.objects.order_by("-published_on", "title").values_list("slug", "title")[:100],
        "horizons": Horizon.choices,
        "statuses": Status.choices,
        "outcomes": Outcome.choices,
    }
    return render(request, "predictions/record.html", context)


def speaker_choices(query: RecordQuery) -> list[tuple[str, str]]:
    top = [(slug, name) for _, slug, name in most_predicted("speaker", 100)]
    chosen = query.filters.speaker_obj
    if chosen is not None and (chosen.slug, chosen.name) not in top:
        top.insert(0, (chosen.slug, chosen.name))
    return top


@require_safe
def source_list(request: HttpRequest) -> HttpResponse:
    return render(request, "predictions/source_list.html", {"sources": source_counts()})


def source_counts() -> QuerySet[Source]:
    """Every source, newest first, with how many predictions it holds: read from the tally's
    per-source rows (grain "sources", one per source and state, kept by the database's
    triggers), so the list costs what the sources cost, not a count of every prediction."""
    held = (
        TallyRow.objects.filter(grain=Grain.SOURCES, source=OuterRef("pk"))
        .values("source")
        .annotate(total=Sum("n"))
        .values("total")
    )
    return Source.objects.annotate(n=Coalesce(Subquery(held), 0)).order_by("-published_on", "title")


@require_safe
def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(Source, slug=slug)
    return _within_page(request, "source", source, Filters(source=source.slug, source_obj=source))


@require_safe
def topic_list(request: HttpRequest) -> HttpResponse:
    return render(request, "predictions/topic_list.html", {"topics": topic_counts()})


def topic_counts() -> list[dict[str, Any]]:
    """Every topic with how many predictions it holds, by name, kept under the data version:
    a topic has no tally, so this is a GROUP BY over the through table's every row (its
    cost at 100,000 and 1,000,000 predictions: docs/operating.md), paid once per write
    instead of once per view. A topic or a prediction's topics changing changes the
    version (migration 0017). Read before the count, a version can only be older than the
    counts kept under it, never newer."""
    token, _ = data_version()
    key = "topics:counts"
    found = caching.get(key, token)
    if found is not None:
        return found
    topics = list(
        Topic.objects.annotate(n=Count("predictions"))
        .order_by("name")
        .values("slug", "name", "description", "n")
    )
    caching.set(key, topics, WITHIN_CACHE_SECONDS, token)
    return topics


@require_safe
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    return _within_page(request, "topic", topic, Filters(topic=topic.slug, topic_obj=topic))


def _within_page(request: HttpRequest, name: str, chosen: Source | Topic, filters: Filters) -> HttpResponse:
    """A source's or a topic's page (`name`): its own scorecard and its predictions by cursor."""
    try:
        page = page_of(request, filters.apply(Prediction.objects.all()))
    except FilterError as error:
        return refused(request, error, request.path)
    context = {
        name: chosen,
        "page": page,
        "canonical_query": [page.here] if page.here else [],
        **cached_within(filters, name),
    }
    return render(request, f"predictions/{name}_detail.html", context)
