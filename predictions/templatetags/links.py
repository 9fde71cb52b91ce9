"""`{{ url|link_or_text }}`: the one link rule (predictions/links.py) for templates."""

from __future__ import annotations

from django import template

from .. import links

register = template.Library()
register.filter("link_or_text", links.link_or_text)
