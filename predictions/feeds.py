"""Atom feeds of decisions (Django's syndication framework): the latest outcomes recorded,
site-wide and per speaker, each with what was predicted, by whom, the outcome, the note and
the evidence links. Only http(s) evidence becomes a link, as on the public pages.

A reopening is an entry too: a reader who saw "Held up" sees it withdrawn. Stored text may
hold characters XML 1.0 cannot carry (a form feed pasted into a note); the feed writes them
as spaces instead of refusing to render for everyone (`XmlSafeAtom1Feed`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from .actors import public_label
from .links import safe_href
from .models import Event, EventKind, Speaker

FEED_ITEMS = 50
# What XML 1.0 forbids (section 2.2): controls but tab, LF and CR; lone surrogates; U+FFFE/F.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: Any) -> Any:
    if isinstance(value, str):
        return NOT_XML.sub(" ", value)
    if isinstance(value, list | tuple):
        return type(value)(xml_safe(v) for v in value)
    return value


class XmlSafeAtom1Feed(Atom1Feed):
    def __init__(self, title: str, link: str, description: str, **kwargs: Any) -> None:
        super().__init__(
            xml_safe(title), link, xml_safe(description), **{k: xml_safe(v) for k, v in kwargs.items()}
        )

    def add_item(self, title: str, link: str, description: str, **kwargs: Any) -> None:
        super().add_item(
            xml_safe(title), link, xml_safe(description), **{k: xml_safe(v) for k, v in kwargs.items()}
        )


def decisions() -> QuerySet[Event]:
    # Newest first on the (at, id) index.
    return (
        Event.objects.announced()
        .select_related("prediction__speaker", "prediction__source")
        .order_by("-at", "-id")
    )


class ResolvedFeed(Feed):
    feed_type = XmlSafeAtom1Feed
    title = "Prediction tracker: latest outcomes"
    subtitle = "Each outcome recorded against a prediction's resolution criteria, newest first."
    author_name = "Prediction tracker"
    description_template = "predictions/feeds/decision.html"

    def link(self) -> str:
        return reverse("scorecard")

    def feed_url(self) -> str:
        return reverse("feed-resolved")

    def items(self) -> QuerySet[Event]:
        return decisions()[:FEED_ITEMS]

    def item_title(self, item: Event) -> str:
        if item.kind == EventKind.REOPENED:
            return f"Outcome withdrawn ({item.get_from_outcome_display().lower()}): {item.prediction.claim}"
        return f"{item.get_to_outcome_display()}: {item.prediction.claim}"

    def item_link(self, item: Event) -> str:
        return f"{item.prediction.get_absolute_url()}#history"

    def item_guid(self, item: Event) -> str:
        # One entry per decision: a re-resolution is a new entry, not an edit of the first.
        host = urlsplit(settings.SITE_ROOT).hostname or "localhost"
        return f"tag:{host},2026:event-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Event) -> datetime:
        return item.at

    def item_updateddate(self, item: Event) -> datetime:
        return item.at

    def item_author_name(self, item: Event) -> str:
        return public_label(item.actor_id, item.actor_name)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        event: Event = kwargs["item"]
        context["prediction"] = event.prediction
        context["evidence"] = [(str(url), safe_href(str(url))) for url in (event.evidence or [])]
        context["site_root"] = settings.SITE_ROOT
        return context


class SpeakerResolvedFeed(ResolvedFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Speaker:  # type: ignore[override]
        return get_object_or_404(Speaker, slug=slug)

    def title(self, obj: Speaker) -> str:  # type: ignore[override]
        return f"Prediction tracker: latest outcomes for {obj.name}"

    def link(self, obj: Speaker) -> str:  # type: ignore[override]
        return reverse("speaker", args=[obj.slug])

    def feed_url(self, obj: Speaker) -> str:  # type: ignore[override]
        return reverse("feed-speaker", args=[obj.slug])

    def items(self, obj: Speaker) -> QuerySet[Event]:  # type: ignore[override]
        return decisions().filter(prediction__speaker=obj)[:FEED_ITEMS]
