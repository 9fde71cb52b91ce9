"""The predictions in the admin: the review queue (list, filters, search), the edit form of
a prediction's own fields, and its read-only history. Deciding is in `decide.py` (one
prediction) and `bulk.py` (several); who may do what in `access.py`.

Nobody edits status or outcome fields directly: every such change goes through
`decisions.py` and leaves a history row.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import Truncator, smart_split, unescape_string_literal

from ..decisions import Actor, record_attribution
from ..export_views import export_history_csv
from ..forms import PREDICTION_FIELDSETS, PredictionForm
from ..models import UNATTRIBUTED_LABEL, Prediction, Source, Speaker, Stance, Status
from ..transitions import STATE_FIELDS
from .access import StaffMayReadMixin, may_decide
from .bulk import BulkOutcomeMixin
from .decide import DecisionPanelMixin
from .filters import DueDateFilter, ReviewQueueFilter, SourceFilter, SpeakerFilter
from .history import EventInline


@admin.register(Speaker)
class SpeakerAdmin(StaffMayReadMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "bio"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Source)
class SourceAdmin(StaffMayReadMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "published_on"]
    list_filter = ["kind"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}


class StanceInline(admin.TabularInline):
    """Other speakers agreeing with or disputing this prediction, each at its moment."""

    model = Stance
    fields = ["speaker", "stance", "source_timestamp", "excerpt", "attribution", "attribution_note"]
    autocomplete_fields = ["speaker"]
    extra = 0


class CappedCountPaginator(Paginator):
    """Counts at most `cap` + 1 rows: past that the queue says "more than 10000" rather than
    counting every match of a filter or search on each page view (at a million predictions
    that count is most of the page's time). Narrow the search to reach the rest."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


@admin.register(Prediction)
class PredictionAdmin(StaffMayReadMixin, DecisionPanelMixin, BulkOutcomeMixin, admin.ModelAdmin):
    form = PredictionForm
    list_display = ["claim_text", "speaker_name", "horizon", "due_on", "days_overdue", "status", "outcome"]
    list_select_related = ["speaker"]
    list_filter = [
        ReviewQueueFilter,
        "outcome",
        "horizon",
        ("speaker", SpeakerFilter),
        "attribution",
        ("source", SourceFilter),
        "topics",
        DueDateFilter,
    ]
    # What the search box looks in; get_search_results below does the looking.
    search_fields = ["claim", "quote", "speaker__name"]
    paginator = CappedCountPaginator
    # Oldest due first: the review queue's order (index prediction_status_due).
    ordering = ["due_on", "id"]
    # A full COUNT(*) of the table on every page view is the cost that grows with the table.
    show_full_result_count = False
    list_per_page = 50
    autocomplete_fields = ["speaker", "source", "topics"]
    inlines = [StanceInline, EventInline]
    # A plain list, so other features add their actions with a one-line edit.
    actions = ["record_outcome", export_history_csv]
    readonly_fields = [*STATE_FIELDS, "version", "created_at", "updated_at"]
    fieldsets = [
        *((name, {"fields": names}) for name, names in PREDICTION_FIELDSETS),
        (
            "Review (changed only by recording a decision below)",
            {"fields": list(STATE_FIELDS)},
        ),
        (
            "Record",
            {"fields": ["version", "created_at", "updated_at", "seen_version"], "classes": ["collapse"]},
        ),
    ]

    # --- the list -------------------------------------------------------------------------

    @property
    def media(self) -> forms.Media:
        # The speaker and source filters' search boxes: the admin's own autocomplete (select2).
        autocomplete = AutocompleteSelect(Prediction._meta.get_field("speaker"), self.admin_site).media
        return super().media + autocomplete + forms.Media(js=["predictions/admin_filters.js"])

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Prediction], search_term: str
    ) -> tuple[QuerySet[Prediction], bool]:
        """Every word in the claim, the quote or the speaker's name, as Django's own search,
        but with the speakers looked up first, by name, as a list of ids: an OR over one
        table, which PostgreSQL answers from its trigram indexes on claim and quote and the
        speaker index (an OR reaching into the joined speaker table makes it scan them all).
        """
        for word in smart_split(search_term):
            if word[0] in "\"'" and word[0] == word[-1]:
                word = unescape_string_literal(word)
            speakers = list(Speaker.objects.filter(name__icontains=word).values_list("pk", flat=True))
            queryset = queryset.filter(
                Q(claim__icontains=word) | Q(quote__icontains=word) | Q(speaker_id__in=speakers)
            )
        return queryset, False

    @admin.display(description="claim", ordering="claim")
    def claim_text(self, obj: Prediction) -> str:
        return Truncator(obj.claim).chars(110)

    @admin.display(description="speaker", ordering="speaker__name")
    def speaker_name(self, obj: Prediction) -> str:
        return obj.speaker_label

    # More days overdue is an earlier due date, so sorting by it ascending is due_on descending.
    @admin.display(description="days overdue", ordering="-due_on")
    def days_overdue(self, obj: Prediction) -> int | str:
        """Days since the due date for a prediction still awaiting an outcome."""
        if obj.status == Status.RESOLVED:
            return "—"
        days = (timezone.localdate() - obj.due_on).days
        return days if days >= 0 else "—"

    # --- permissions ----------------------------------------------------------------------

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return may_decide(request)

    def has_delete_permission(self, request: HttpRequest, obj: Prediction | None = None) -> bool:
        # Deleting a prediction would orphan its history; the PROTECT foreign key refuses
        # it anyway, so do not offer it.
        if obj is not None and obj.events.exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Prediction | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.has_change_permission(request, obj):
            # The lock's hidden field belongs to the edit form only; a reader sees the
            # speaker by name, or "Unattributed (panel)" rather than a bare dash.
            swap = {"seen_version": None, "speaker": "speaker_name"} if obj else {"seen_version": None}
            fieldsets = [
                (
                    name,
                    {
                        **opts,
                        "fields": [swap.get(f, f) for f in opts["fields"] if swap.get(f, f) is not None],
                    },
                )
                for name, opts in fieldsets
            ]
        return fieldsets

    # --- saving the prediction's own fields ---------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Prediction, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Write only what the form edits, and bump the version so any page loaded before
        # this edit is stale; the decision columns are never written from here.
        # Topics are rows of their own, written by the admin's save_related (form.save_m2m).
        fields = [name for name in form.changed_data if name not in ("seen_version", "topics")]
        obj.version = form.cleaned_data["seen_version"] + 1
        with transaction.atomic():
            obj.save(update_fields=[*fields, "version", "updated_at"])
            if {"speaker", "attribution"} & set(fields):
                # A change of who said it is history, like a decision.
                was = Speaker.objects.filter(pk=form.initial.get("speaker")).first()
                before = (was.name if was else UNATTRIBUTED_LABEL, form.initial.get("attribution", ""))
                record_attribution(obj, before=before, actor=Actor.of(request.user))
