"""Template filters for the public pages: numbers formatted one way everywhere."""

from __future__ import annotations

from django import template

from ..scoring import percent as percent_of

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.8 -> "80%"; None -> "—" (nothing to show, rather than a misleading 0%)."""
    return "—" if value is None else percent_of(value)


@register.filter
def brier(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@register.filter
def credit(value: float) -> str:
    """A credited count without float noise: 2.0 -> "2", 1.5 -> "1.5"."""
    return f"{value:g}"
