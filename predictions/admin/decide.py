"""The decision panel on a prediction's admin page, and the page that applies a decision.

`DECISIONS` is the one table of the admin's side of a decision: for each kind, the form,
the function in `decisions.py` it calls and what the reviewer is told afterwards. When a
decision applies, and the refusal otherwise, is the transition table's (`transitions.refusal`).
The panel, the URL and the view all read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.text import Truncator

from .. import decisions
from ..decisions import Actor, DecisionError
from ..forms import DeferForm, OutcomeForm, ReopenForm
from ..models import Prediction, Status
from ..transitions import DEFER, REOPEN, RESOLVE, refusal
from .access import may_decide


@dataclass(frozen=True)
class Decision:
    form: type[Form]
    apply: Callable[[Prediction, dict[str, Any], Actor], None]
    # What the reviewer is told afterwards: (the prediction, the form's data, was it resolved before)
    done: Callable[[Prediction, dict[str, Any], bool], str]


def _resolve(obj: Prediction, data: dict[str, Any], actor: Actor) -> None:
    decisions.resolve(
        obj,
        outcome=data["outcome"],
        reason=data["unresolvable_reason"],
        note=data["note"],
        evidence=data["evidence"],
        actor=actor,
        expected_version=data["version"],
    )


def _defer(obj: Prediction, data: dict[str, Any], actor: Actor) -> None:
    decisions.defer(
        obj, until=data["until"], note=data["note"], actor=actor, expected_version=data["version"]
    )


def _reopen(obj: Prediction, data: dict[str, Any], actor: Actor) -> None:
    decisions.reopen(obj, note=data["note"], actor=actor, expected_version=data["version"])


DECISIONS: dict[str, Decision] = {
    RESOLVE: Decision(
        form=OutcomeForm,
        apply=_resolve,
        done=lambda obj, data, was_resolved: (
            f"{'Changed the outcome to' if was_resolved else 'Recorded'} “{obj.get_outcome_display()}” for “{obj}”."
        ),
    ),
    DEFER: Decision(
        form=DeferForm,
        apply=_defer,
        done=lambda obj, data, _: f"Deferred “{obj}”: back in the review queue on {data['until']:%Y-%m-%d}.",
    ),
    REOPEN: Decision(
        form=ReopenForm,
        apply=_reopen,
        done=lambda obj, data, _: f"Reopened “{obj}”: it is back in the review queue.",
    ),
}


def decision_forms(obj: Prediction, data: dict[str, Any] | None = None, bound: str = "") -> dict[str, Form]:
    """The decisions that apply to `obj` now; only the form named `bound` gets `data`."""
    initial = {"version": obj.version}
    if obj.status == Status.RESOLVED:
        initial |= {"outcome": obj.outcome, "unresolvable_reason": obj.unresolvable_reason}
    forms: dict[str, Form] = {}
    for name, decision in DECISIONS.items():
        if not refusal(name, obj.status):
            form = decision.form(data if name == bound else None, initial=initial, prefix=name)
            form.bind_to(f"decision-{name}")
            forms[name] = form
    return forms


def decision_context(obj: Prediction, forms: dict[str, Form]) -> dict[str, Any]:
    return {
        "decision": {
            "forms": forms,
            "resolved": obj.status == Status.RESOLVED,
            "urls": {
                name: reverse("admin:predictions_prediction_decide", args=[obj.pk, name]) for name in forms
            },
        }
    }


class DecisionPanelMixin:
    """The panel on the change page and its `decide/<kind>/` view, for PredictionAdmin."""

    admin_site: admin.AdminSite

    def render_change_form(  # noqa: PLR0913 - Django's ModelAdmin signature
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
                context.update(decision_context(obj, decision_forms(obj)))
            else:
                context["decision_not_allowed"] = True
        return super().render_change_form(request, context, add, change, form_url, obj)  # type: ignore[misc]

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/decide/<str:kind>/",
                self.admin_site.admin_view(self.decide_view),
                name="predictions_prediction_decide",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def decide_view(self, request: HttpRequest, object_id: str, kind: str) -> HttpResponse:
        """Apply one decision; on an error, show it with the form."""
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            raise Http404("No such prediction.")
        if not (self.has_view_permission(request, obj) and may_decide(request)):  # type: ignore[attr-defined]
            raise PermissionDenied
        if kind not in DECISIONS:
            raise Http404("No such decision.")
        change_url = reverse("admin:predictions_prediction_change", args=[obj.pk])
        decision = DECISIONS[kind]
        if refused := refusal(kind, obj.status):
            messages.error(request, refused)
            return HttpResponseRedirect(change_url)
        is_post = request.method == "POST"
        forms = decision_forms(obj, request.POST if is_post else None, bound=kind)
        form = forms[kind]
        if is_post and form.is_valid():
            was_resolved = obj.status == Status.RESOLVED
            try:
                decision.apply(obj, form.cleaned_data, Actor.of(request.user))
            except DecisionError as e:
                # Stale page or a rule decisions.py enforces: nothing was written.
                form.add_error(None, str(e))
            else:
                messages.success(request, decision.done(obj, form.cleaned_data, was_resolved))
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            **decision_context(obj, forms),
            "title": f"Review: {Truncator(obj.claim).chars(80)}",
            "subtitle": None,
            "opts": self.opts,  # type: ignore[attr-defined]
            "original": obj,
            "events": obj.events.all(),
            "change_url": change_url,
            "kind": kind,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/predictions/prediction/decide.html", context)
