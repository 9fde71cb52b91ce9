"""The bulk action: one outcome, note and evidence for the selected predictions.

The rule (all of them or none, each at the version the confirmation page showed, none if
a selected one left the list) is `decisions.resolve_many`; this is its page.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from .. import decisions
from ..decisions import Actor, DecisionError
from ..forms import OutcomeFields
from ..models import Outcome, Prediction
from .access import selected_pks


def _listed(pks: set[str] | set[int]) -> list[Prediction]:
    return list(Prediction.objects.filter(pk__in=pks).select_related("speaker").order_by("due_on", "id"))


class BulkOutcomeMixin:
    admin_site: admin.AdminSite

    @admin.action(description="Record an outcome for the selected predictions", permissions=["resolve"])
    def record_outcome(self, request: HttpRequest, queryset: QuerySet[Prediction]) -> HttpResponse | None:
        """Intermediate page: one outcome, note and evidence, applied to each selected
        prediction, one history row each; all of them or, on any refusal, none."""
        predictions = list(queryset.select_related("speaker").order_by("due_on", "id"))
        form = OutcomeFields(
            request.POST if "apply" in request.POST else None, initial={"known_on": timezone.localdate()}
        )
        # The versions this page was first shown with: showing it again for a form error must
        # not swap in what the rows hold now, or a change made meanwhile would be confirmed unseen.
        versions = {p.pk: request.POST.get(f"version-{p.pk}") or p.version for p in predictions}
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                count = decisions.resolve_many(
                    predictions,
                    selected={int(pk) for pk in selected_pks(request)},
                    seen_versions={p.pk: request.POST.get(f"version-{p.pk}", "") for p in predictions},
                    outcome=data["outcome"],
                    reason=data["unresolvable_reason"],
                    note=data["note"],
                    evidence=data["evidence"],
                    known_on=data["known_on"],
                    actor=Actor.of(request.user),
                )
            except DecisionError as e:
                form.add_error(None, str(e))
                # Show what the predictions are now, so a second confirmation is informed.
                predictions = _listed(selected_pks(request) | {str(p.pk) for p in predictions})
                versions = {p.pk: p.version for p in predictions}
            else:
                noun = "prediction" if count == 1 else "predictions"
                # A panel's outcome waits for a second reviewer (REVIEW_QUORUM = 2).
                done = "Proposed" if decisions.quorum() > 1 else "Recorded"
                messages.success(request, f"{done} “{Outcome(data['outcome']).label}” for {count} {noun}.")
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Record an outcome for the selected predictions",
            "subtitle": None,
            "opts": self.opts,  # type: ignore[attr-defined]
            "form": form,
            "predictions": predictions,
            "versions": [(p.pk, versions[p.pk]) for p in predictions],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/predictions/prediction/bulk_outcome.html", context)
