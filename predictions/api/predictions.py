"""Speakers, sources, topics and predictions: lists and one prediction with its public history.

The prediction list pages by keyset on (due_on, id) (`keyset.py`: a row comparison, which
PostgreSQL reads as an index range on the (due_on, id) indexes), so page 20,000 costs what
page 1 costs; `total` is one COUNT over the same filters.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from pydantic import Field

from .. import keyset
from ..actors import public_label
from ..claimreview import claim_review
from ..filtering import FilterError, Filters, parse
from ..links import safe_href, speaker_url
from ..models import UNATTRIBUTED, Attribution, Event, Horizon, Prediction, Source, Speaker, Status, Topic
from .errors import BadParameter
from .schemas import (
    ErrorOut,
    PredictionDetailOut,
    PredictionPage,
    SourceOut,
    SpeakerOut,
    TopicOut,
)

router = Router(tags=["predictions"])
ERRORS = {400: ErrorOut, 404: ErrorOut, 429: ErrorOut}
MAX_LIMIT = 200


def shown_url(url: str) -> str:
    """A stored link as the API gives it: an http(s) URL without spaces, else "" (the admin's
    URL field lets in only such links; a value stored another way is not handed out)."""
    return url if safe_href(url) and not any(c.isspace() for c in url) else ""


def speaker_out(speaker: Speaker) -> dict:
    return {
        "slug": speaker.slug,
        "name": speaker.name,
        "bio": speaker.bio,
        "url": shown_url(speaker.url),
        "page": speaker_url(speaker.slug),
    }


def source_out(source: Source) -> dict:
    return {
        "slug": source.slug,
        "title": source.title,
        "kind": source.kind,
        "url": shown_url(source.url),
        "published_on": source.published_on,
    }


def prediction_out(p: Prediction) -> dict:
    """Needs `speaker` and `source` selected with the prediction (no query per row)."""
    return {
        "id": p.pk,
        "source": p.source.slug,
        "key": p.key,
        "claim": p.claim,
        "speaker": p.speaker.slug if p.speaker else None,
        "speaker_name": p.speaker.name if p.speaker else "",
        "horizon": p.horizon,
        "horizon_as_said": p.horizon_as_said,
        "stated_on": p.stated_on,
        "due_on": p.due_on,
        "probability": p.probability,
        "quote": p.quote,
        "section": p.section,
        "source_timestamp": p.source_timestamp,
        "resolution_criteria": p.resolution_criteria,
        "attribution": p.attribution,
        "attribution_note": p.attribution_note,
        "excerpt": p.excerpt,
        "status": p.status,
        "outcome": p.outcome,
        "unresolvable_reason": p.unresolvable_reason,
        "review_after": p.review_after,
        "resolved_at": p.resolved_at,
        "known_on": p.known_on,
        "page": p.get_absolute_url(),
        # Needs the topics prefetched (`with_topics`): one query per page, not per row.
        "topics": sorted(t.slug for t in p.topics.all()),
    }


def with_topics(predictions: QuerySet[Prediction]) -> QuerySet[Prediction]:
    return predictions.select_related("speaker", "source").prefetch_related("topics")


def event_out(event: Event) -> dict:
    return {
        "kind": event.kind,
        "at": event.at,
        "actor": public_label(event.actor_id, event.actor_name),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "from_outcome": event.from_outcome,
        "to_outcome": event.to_outcome,
        "unresolvable_reason": event.unresolvable_reason,
        "review_after": event.review_after,
        "note": event.note,
        "evidence": [str(url) for url in (event.evidence or [])],
        "known_on": event.known_on,
    }


@router.get("/speakers", response={200: list[SpeakerOut], 429: ErrorOut}, summary="Every speaker")
def speakers(request: HttpRequest) -> list[dict]:
    return [speaker_out(s) for s in Speaker.objects.order_by("name", "slug")]


@router.get("/sources", response={200: list[SourceOut], 429: ErrorOut}, summary="Every source")
def sources(request: HttpRequest) -> list[dict]:
    return [source_out(s) for s in Source.objects.order_by("-published_on", "slug")]


@router.get("/topics", response={200: list[TopicOut], 429: ErrorOut}, summary="Every topic")
def topics(request: HttpRequest) -> list[dict]:
    return [
        {"slug": t.slug, "name": t.name, "description": t.description, "page": t.get_absolute_url()}
        for t in Topic.objects.order_by("name", "slug")
    ]


class PredictionFilters(Schema):
    speaker: str | None = Field(
        default=None, description=f"A speaker's slug, or \"{UNATTRIBUTED}\" for the panel's predictions."
    )
    source: str | None = Field(default=None, description="A source's slug.")
    topic: str | None = Field(default=None, description="A topic's slug (see /api/topics).")
    horizon: Horizon | None = None
    attribution: Attribution | None = Field(default=None, description="How the speaker is known.")
    status: Status | None = None
    due_from: date | None = Field(default=None, description="Due on or after this date.")
    due_to: date | None = Field(default=None, description="Due on or before this date.")
    ordering: Literal["due_on", "-due_on"] = Field(default="due_on", description="By due date, then id.")
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page.")


def shared_filters(filters: PredictionFilters) -> Filters:
    """The service's filters (filtering.py) for who, where, which horizon and attribution,
    checked as the pages check them; a bad one is the API's 400."""
    shared = {
        name: getattr(filters, name) for name in ("speaker", "source", "topic", "horizon", "attribution")
    }
    try:
        return parse(shared, allowed=tuple(shared))
    except FilterError as e:
        raise BadParameter(e.name, str(e).removeprefix(f"{e.name}: ")) from None


def filtered(filters: PredictionFilters) -> QuerySet[Prediction]:
    """The service's filters (`shared_filters`); the API's own for status and the due range."""
    predictions = shared_filters(filters).apply(Prediction.objects.all())
    conditions = {"status": filters.status, "due_on__gte": filters.due_from, "due_on__lte": filters.due_to}
    return predictions.filter(**{name: value for name, value in conditions.items() if value})


def encode_cursor(due_on: date, pk: int) -> str:
    return keyset.encode((due_on, pk))


def decode_cursor(cursor: str) -> tuple[date, int]:
    try:
        return keyset.decode(cursor)
    except ValueError:
        raise BadParameter(
            "cursor", "not a cursor this API gave out; pass `next_cursor` from the previous page."
        ) from None


@router.get("/predictions", response={200: PredictionPage, **ERRORS}, summary="Predictions, filtered")
def prediction_list(request: HttpRequest, filters: Query[PredictionFilters]) -> dict:
    predictions = filtered(filters)
    descending = filters.ordering == "-due_on"
    page = with_topics(predictions).order_by(*(("-due_on", "-id") if descending else ("due_on", "id")))
    if filters.cursor:
        key = decode_cursor(filters.cursor)
        page = keyset.before(page, key) if descending else keyset.after(page, key)
    rows = list(page[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {
        "total": predictions.count(),
        "next_cursor": encode_cursor(rows[-1].due_on, rows[-1].pk) if more else None,
        "items": [prediction_out(p) for p in rows],
    }


@router.get(
    "/predictions/{prediction_id}",
    response={200: PredictionDetailOut, **ERRORS},
    summary="One prediction with its public history",
)
def prediction_detail(request: HttpRequest, prediction_id: int) -> dict:
    prediction = get_object_or_404(with_topics(Prediction.objects.all()), pk=prediction_id)
    history = list(prediction.events.order_by("at", "id"))
    return {
        **prediction_out(prediction),
        "history": [event_out(e) for e in history],
        "claim_review": claim_review(prediction, history),
        "stances": [
            {
                "speaker": s.speaker.slug,
                "speaker_name": s.speaker.name,
                "stance": s.stance,
                "source_timestamp": s.source_timestamp,
                "excerpt": s.excerpt,
                "attribution": s.attribution,
                "attribution_note": s.attribution_note,
            }
            for s in prediction.stances.select_related("speaker").order_by("speaker__name", "id")
        ],
    }
