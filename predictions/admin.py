"""Admin registrations. The reviewers' workflow (queue, outcome form, history) lives here.

Who may do what: every active staff member may read predictions and their history; only
holders of `predictions.resolve_prediction` (the "Reviewers" group) may record, change,
defer or reopen an outcome; nobody edits status or outcome fields directly, since every
such change goes through `decisions.py` and leaves a history row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from . import decisions
from .decisions import Actor, DecisionError
from .export_views import export_history_csv
from .forms import DeferForm, OutcomeFields, OutcomeForm, PredictionForm, ReopenForm
from .links import link_or_text
from .models import Event, Outcome, Prediction, Source, Speaker, Status

RESOLVE_PERMISSION = "predictions.resolve_prediction"
UNATTRIBUTED = "Unattributed (panel)"


def may_decide(request: HttpRequest) -> bool:
    return request.user.has_perm(RESOLVE_PERMISSION)


def selected_pks(request: HttpRequest) -> set[str]:
    return {pk for pk in request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME) if pk.isdigit()}


class StaffMayReadMixin:
    """Any active staff member may read (the admin site already requires is_staff); other
    permissions stay with the model's own add/change/delete permissions."""

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)


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


class ReviewQueueFilter(admin.SimpleListFilter):
    """Status, defaulting to the review queue: with no choice made the list shows what is
    due for review. "All" is a value of its own so that it can be chosen."""

    title = "status"
    parameter_name = "status"
    DEFAULT = "due"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("due", "Due for review"),
            ("open", "Open (not yet due)"),
            ("deferred", "Deferred"),
            ("resolved", "Resolved"),
            ("all", "All"),
        ]

    def __init__(self, request: HttpRequest, params: dict, model: type[Model], model_admin: Any) -> None:
        # A link that picks a status as a plain field lookup (?status__exact=resolved, as a
        # hand-made link may carry) chose already: the queue default must not narrow it further.
        self.status_chosen_elsewhere = any(key.startswith("status__") for key in params)
        super().__init__(request, params, model, model_admin)

    def value(self) -> str:
        return super().value() or ("all" if self.status_chosen_elsewhere else self.DEFAULT)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Prediction]) -> QuerySet[Prediction]:
        value = self.value()
        if value == "due":
            return queryset.filter(status=Status.DUE)
        if value == "open":
            return queryset.filter(status=Status.OPEN, review_after__isnull=True)
        if value == "deferred":
            return queryset.filter(status=Status.OPEN, review_after__isnull=False)
        if value == "resolved":
            return queryset.filter(status=Status.RESOLVED)
        return queryset

    def choices(self, changelist: Any) -> Any:
        # No built-in "All" that removes the parameter: removing it means "the queue".
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class DueDateFilter(admin.SimpleListFilter):
    title = "due date"
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("past", "Past due"),
            ("90d", "In the next 90 days"),
            ("year", "By the end of this year"),
            ("later", "After this year"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Prediction]) -> QuerySet[Prediction]:
        today = timezone.localdate()
        value = self.value()
        if value == "past":
            return queryset.filter(due_on__lt=today)
        if value == "90d":
            return queryset.filter(due_on__gte=today, due_on__lte=date.fromordinal(today.toordinal() + 90))
        if value == "year":
            return queryset.filter(due_on__gte=today, due_on__year=today.year)
        if value == "later":
            return queryset.filter(due_on__year__gt=today.year)
        return queryset


class SpeakerFilter(admin.RelatedFieldListFilter):
    """Speakers, plus the predictions nobody was named for, by their name in the queue."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.empty_value_display = UNATTRIBUTED


def describe_step(status: str, outcome: str) -> str:
    label = Status(status).label if status else "—"
    return f"{label}: {Outcome(outcome).label}" if outcome else label


class EventInline(admin.TabularInline):
    """The whole history, read-only: rows can be neither added, edited nor deleted here."""

    model = Event
    verbose_name = "history entry"
    verbose_name_plural = "History"
    fields = ["at", "kind", "who", "change", "note", "evidence_links"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

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


@admin.register(Prediction)
class PredictionAdmin(StaffMayReadMixin, admin.ModelAdmin):
    form = PredictionForm
    list_display = ["claim_text", "speaker_name", "horizon", "due_on", "days_overdue", "status", "outcome"]
    list_select_related = ["speaker"]
    list_filter = [
        ReviewQueueFilter,
        "outcome",
        "horizon",
        ("speaker", SpeakerFilter),
        "source",
        DueDateFilter,
    ]
    search_fields = ["claim", "quote", "speaker__name"]
    # Oldest due first: the review queue's order (index prediction_status_due).
    ordering = ["due_on", "id"]
    # A full COUNT(*) of the table on every page view is the cost that grows with the table.
    show_full_result_count = False
    list_per_page = 50
    autocomplete_fields = ["speaker", "source"]
    inlines = [EventInline]
    # A plain list, so other features add their actions with a one-line edit.
    actions = ["record_outcome", export_history_csv]
    readonly_fields = [
        "status",
        "outcome",
        "unresolvable_reason",
        "review_after",
        "flagged_at",
        "resolved_at",
        "version",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["claim", "quote", "speaker", "source", "key", "section", "source_timestamp"]},
        ),
        (
            "When and how it is judged",
            {
                "fields": [
                    "horizon",
                    "horizon_as_said",
                    "stated_on",
                    "due_on",
                    "resolution_criteria",
                    "probability",
                ]
            },
        ),
        (
            "Review (changed only by recording a decision below)",
            {
                "fields": [
                    "status",
                    "outcome",
                    "unresolvable_reason",
                    "review_after",
                    "flagged_at",
                    "resolved_at",
                ]
            },
        ),
        (
            "Record",
            {"fields": ["version", "created_at", "updated_at", "seen_version"], "classes": ["collapse"]},
        ),
    ]

    # --- the list -------------------------------------------------------------------------

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
        fields = [name for name in form.changed_data if name != "seen_version"]
        obj.version = form.cleaned_data["seen_version"] + 1
        obj.save(update_fields=[*fields, "version", "updated_at"])

    # --- the decision panel on the change page ---------------------------------------------

    def decision_forms(
        self, obj: Prediction, data: dict[str, Any] | None = None, bound: str = ""
    ) -> dict[str, Form]:
        """The decisions that apply to `obj` now; only the form named `bound` gets `data`."""
        initial = {"version": obj.version}
        if obj.status == Status.RESOLVED:
            initial |= {"outcome": obj.outcome, "unresolvable_reason": obj.unresolvable_reason}
        kinds: dict[str, type[Form]] = {"resolve": OutcomeForm}
        if obj.status == Status.RESOLVED:
            kinds["reopen"] = ReopenForm
        else:
            kinds["defer"] = DeferForm
        forms: dict[str, Form] = {}
        for name, form_class in kinds.items():
            form = form_class(data if name == bound else None, initial=initial, prefix=name)
            form.bind_to(f"decision-{name}")
            forms[name] = form
        return forms

    def decision_context(self, request: HttpRequest, obj: Prediction, forms: dict[str, Form]) -> dict:
        return {
            "decision": {
                "forms": forms,
                "resolved": obj.status == Status.RESOLVED,
                "urls": {
                    name: reverse("admin:predictions_prediction_decide", args=[obj.pk, name])
                    for name in forms
                },
            }
        }

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Prediction | None = None,
    ) -> HttpResponse:
        if obj is not None and not add:
            if may_decide(request):
                context.update(self.decision_context(request, obj, self.decision_forms(obj)))
            else:
                context["decision_not_allowed"] = True
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/decide/<str:kind>/",
                self.admin_site.admin_view(self.decide_view),
                name="predictions_prediction_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: str, kind: str) -> HttpResponse:
        """Apply one decision (resolve, defer, reopen); on an error, show it with the form."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such prediction.")
        if not (self.has_view_permission(request, obj) and may_decide(request)):
            raise PermissionDenied
        change_url = reverse("admin:predictions_prediction_change", args=[obj.pk])
        is_post = request.method == "POST"
        forms = self.decision_forms(obj, request.POST if is_post else None, bound=kind)
        if kind not in forms:
            if kind not in ("resolve", "defer", "reopen"):
                raise Http404("No such decision.")
            messages.error(
                request,
                "A resolved prediction is reopened, not deferred."
                if kind == "defer"
                else "Only a resolved prediction can be reopened.",
            )
            return HttpResponseRedirect(change_url)
        form = forms[kind]
        if is_post and form.is_valid():
            try:
                self.apply_decision(request, obj, kind, form.cleaned_data)
            except DecisionError as e:
                # Stale page or a rule decisions.py enforces: nothing was written.
                form.add_error(None, str(e))
            else:
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            **self.decision_context(request, obj, forms),
            "title": f"Review: {Truncator(obj.claim).chars(80)}",
            "subtitle": None,
            "opts": self.opts,
            "original": obj,
            "events": obj.events.all(),
            "change_url": change_url,
            "kind": kind,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/predictions/prediction/decide.html", context)

    def apply_decision(self, request: HttpRequest, obj: Prediction, kind: str, data: dict) -> None:
        actor = Actor.of(request.user)
        version = data["version"]
        if kind == "resolve":
            was_resolved = obj.status == Status.RESOLVED
            decisions.resolve(
                obj,
                outcome=data["outcome"],
                reason=data["unresolvable_reason"],
                note=data["note"],
                evidence=data["evidence"],
                actor=actor,
                expected_version=version,
            )
            verb = "Changed the outcome to" if was_resolved else "Recorded"
            messages.success(request, f"{verb} “{obj.get_outcome_display()}” for “{obj}”.")
        elif kind == "defer":
            decisions.defer(
                obj, until=data["until"], note=data["note"], actor=actor, expected_version=version
            )
            messages.success(
                request, f"Deferred “{obj}”: back in the review queue on {data['until']:%Y-%m-%d}."
            )
        else:
            decisions.reopen(obj, note=data["note"], actor=actor, expected_version=version)
            messages.success(request, f"Reopened “{obj}”: it is back in the review queue.")

    # --- the bulk action ------------------------------------------------------------------

    @admin.action(description="Record an outcome for the selected predictions", permissions=["resolve"])
    def record_outcome(self, request: HttpRequest, queryset: QuerySet[Prediction]) -> HttpResponse | None:
        """Intermediate page: one outcome, note and evidence, applied to each selected
        prediction, one history row each; all of them or, on any refusal, none."""
        predictions = list(queryset.select_related("speaker").order_by("due_on", "id"))
        form = OutcomeFields(request.POST if "apply" in request.POST else None)
        # The versions this page was first shown with: showing it again for a form error must
        # not swap in what the rows hold now, or a change made meanwhile would be confirmed unseen.
        versions = {p.pk: request.POST.get(f"version-{p.pk}") or p.version for p in predictions}
        if form.is_bound and form.is_valid():
            try:
                count = self.resolve_each(request, predictions, form.cleaned_data)
            except DecisionError as e:
                form.add_error(None, str(e))
                # Show what the predictions are now, so a second confirmation is informed.
                predictions = list(
                    Prediction.objects.filter(pk__in=selected_pks(request) | {str(p.pk) for p in predictions})
                    .select_related("speaker")
                    .order_by("due_on", "id")
                )
                versions = {p.pk: p.version for p in predictions}
            else:
                label = Outcome(form.cleaned_data["outcome"]).label
                noun = "prediction" if count == 1 else "predictions"
                messages.success(request, f"Recorded “{label}” for {count} {noun}.")
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Record an outcome for the selected predictions",
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "predictions": predictions,
            "versions": [(p.pk, versions[p.pk]) for p in predictions],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/predictions/prediction/bulk_outcome.html", context)

    def resolve_each(self, request: HttpRequest, predictions: list[Prediction], data: dict) -> int:
        actor = Actor.of(request.user)
        # A prediction someone else decided meanwhile may have left the filtered list this
        # action works on; applying the outcome to the rest alone would be a silent partial.
        selected = selected_pks(request)
        gone = Prediction.objects.filter(pk__in=selected - {str(p.pk) for p in predictions})
        for prediction in gone[:1]:
            raise DecisionError(f"“{prediction}”: {decisions.describe_change(prediction.pk)}")
        with transaction.atomic():
            for prediction in predictions:
                seen = request.POST.get(f"version-{prediction.pk}", "")
                if not seen.isdigit():
                    raise DecisionError(f"“{prediction}”: the confirmation page is incomplete; start again.")
                try:
                    decisions.resolve(
                        prediction,
                        outcome=data["outcome"],
                        reason=data["unresolvable_reason"],
                        note=data["note"],
                        evidence=data["evidence"],
                        actor=actor,
                        expected_version=int(seen),
                    )
                except DecisionError as e:
                    raise DecisionError(f"“{prediction}”: {e}") from e
        return len(predictions)
