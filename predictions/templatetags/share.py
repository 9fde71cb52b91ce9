"""Share metadata for the public pages: the one-line summary a pasted link shows, and the
canonical URL (absolute, from SITE_ROOT, so it does not depend on the Host header)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..filtering import CANONICAL_PARAMS
from ..scorecard import prediction_line, share_line

register = template.Library()

# As django.utils.html.json_script escapes.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


# One line of numbers for a shared link (and the share image): scorecard.py, one home.
register.simple_tag(share_line, name="share_line")
register.simple_tag(prediction_line, name="prediction_line")


@register.simple_tag(takes_context=True)
def canonical_url(context: template.Context) -> str:
    request: HttpRequest = context["request"]
    # A page cached across query strings (the scorecard) says which of its own it keeps.
    kept = context.get("canonical_query")
    if kept is None:
        kept = [(name, request.GET[name]) for name in CANONICAL_PARAMS if request.GET.get(name)]
    return settings.SITE_ROOT + request.path + (f"?{urlencode(kept)}" if kept else "")


@register.filter
def json_ld(data: dict | None) -> str:
    """`data` as a `<script type="application/ld+json">` block ("" for None), escaped as
    Django's json_script escapes: no `</script>` or `<!--` in a stored claim can close it."""
    if data is None:
        return ""
    escaped = json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(escaped))  # noqa: S308 - escaped above


@register.simple_tag
def public_export() -> bool:
    """Whether the history downloads are open to everyone (PUBLIC_EXPORT), so linked for all."""
    return bool(settings.PUBLIC_EXPORT)


@register.simple_tag
def site_root() -> str:
    """SITE_ROOT: what an absolute link (a shared picture's, say) starts with."""
    return settings.SITE_ROOT
