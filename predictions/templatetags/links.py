"""Links and moments as the public pages show them: only web links are clickable, a
recording opens at the second something was said, and seconds read as a clock."""

from __future__ import annotations

from django import template

from .. import links
from ..models import Prediction, Stance

register = template.Library()


# Only http(s) links are clickable: the one rule, predictions/links.py, which the admin's
# history and the import use too.
safe_href = register.filter("safe_href", links.safe_href)
# An evidence link for the admin: a link for http(s), escaped text otherwise.
register.filter("link_or_text", links.link_or_text)


@register.filter
def clock(seconds: int | None) -> str:
    """3335 -> "55:35", 11018 -> "3:03:38"; None -> ""."""
    if seconds is None:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


@register.filter
def moment_href(prediction: Prediction, seconds: int | None = None) -> str:
    """The prediction's recording at the moment it (or `seconds`, a stance) was said."""
    at = prediction.source_timestamp if seconds is None else seconds
    return safe_href(links.timestamped_url(prediction.source.url, at))


@register.filter
def speaker_href(said: Prediction | Stance) -> str:
    """The page of who made a prediction (the panel's page when nobody is named) or took a stance."""
    return links.speaker_url(said.speaker.slug if said.speaker_id else None)
