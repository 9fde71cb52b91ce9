"""A prediction's history in the admin: read-only rows that can be neither edited nor deleted."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from ..links import link_or_text
from ..models import Event, Outcome, Status
from .access import may_read


def describe_step(status: str, outcome: str) -> str:
    label = Status(status).label if status else "—"
    return f"{label}: {Outcome(outcome).label}" if outcome else label


class EventInline(admin.TabularInline):
    """The whole history, read-only: rows can be neither added, edited nor deleted here."""

    model = Event
    verbose_name = "history entry"
    verbose_name_plural = "History"
    # "recorded" is when the row was written; "known on" when its outcome became known.
    fields = ["recorded", "known", "kind", "who", "change", "note", "evidence_links"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may_read(request)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="recorded", ordering="at")
    def recorded(self, event: Event) -> str:
        return f"{timezone.localtime(event.at):%Y-%m-%d %H:%M}"

    @admin.display(description="known on")
    def known(self, event: Event) -> str:
        return f"{event.known_on:%Y-%m-%d}" if event.known_on else "—"

    @admin.display(description="who")
    def who(self, event: Event) -> str:
        return event.actor_name

    @admin.display(description="from → to")
    def change(self, event: Event) -> str:
        text = f"{describe_step(event.from_status, event.from_outcome)} → {describe_step(event.to_status, event.to_outcome)}"
        if event.unresolvable_reason:
            text += f" ({event.get_unresolvable_reason_display()})"
        if event.review_after:
            text += f", review after {event.review_after:%Y-%m-%d}"
        return text

    @admin.display(description="evidence")
    def evidence_links(self, event: Event) -> str:
        links = [url for url in event.evidence or [] if isinstance(url, str)]
        if not links:
            return "—"
        # Only http(s) becomes a link; anything else is shown as text.
        return format_html_join(mark_safe("<br>"), "{}", ((link_or_text(url),) for url in links))
