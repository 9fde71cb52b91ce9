"""The decision panel on a prediction's admin page, and the page that applies a decision.

`DECISIONS` is the one table of the admin's side of a decision: for each kind, the form,
the function in `decisions.py` it calls and what the reviewer is told afterwards. When a
decision applies, and the refusal otherwise, is the transition table's (`transitions.refusal`).
The panel, the URL and the view all read them.

The panels are inside the change page's own form, each decision's button posting it to its
`decide/<kind>/` view; the page's Save refuses while a decision is filled in
(`refuse_a_filled_decision`), rather than save the fields and drop the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form, ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.text import Truncator

from .. import decisions
from ..decisions import Actor, DecisionError
from ..forms import ConfirmForm, DeferForm, OutcomeForm, ReopenForm
from ..models import Event, EventKind, Outcome, Prediction, Status
from ..transitions import CONFIRM, DEFER, DISPUTE, REOPEN, RESOLVE, refusal
from .access import may_decide


@dataclass(frozen=True)
class Decision:
    form: type[Form]
    apply: Callable[[Prediction, dict[str, Any], Actor], None]
    # What the reviewer is told afterwards: (the prediction, the form's data, was it resolved before)
    done: Callable[[Prediction, dict[str, Any], bool], str]
    what: str  # "an outcome": how the page's Save names it when it refuses to lose it


def _outcome_decision(decide: Callable[..., object]) -> Callable[[Prediction, dict[str, Any], Actor], None]:
    """An outcome form's data applied by `decide` (decisions.resolve or decisions.dispute)."""

    def apply(obj: Prediction, data: dict[str, Any], actor: Actor) -> None:
        decide(
            obj,
            outcome=data["outcome"],
            reason=data["unresolvable_reason"],
            note=data["note"],
            evidence=data["evidence"],
            known_on=data["known_on"],
            actor=actor,
            expected_version=data["version"],
        )

    return apply


def _confirm(obj: Prediction, data: dict[str, Any], actor: Actor) -> None:
    decisions.confirm(
        obj, note=data["note"], evidence=data["evidence"], actor=actor, expected_version=data["version"]
    )


def _resolved_words(obj: Prediction, data: dict[str, Any], was_resolved: bool) -> str:
    if obj.status == Status.PROPOSED:  # a panel (REVIEW_QUORUM = 2): not the outcome yet
        proposed = Outcome(data["outcome"]).label
        return f"Proposed “{proposed}” for “{obj}”: a second reviewer confirms or disputes it."
    return f"{'Changed the outcome to' if was_resolved else 'Recorded'} “{obj.get_outcome_display()}” for “{obj}”."


def _defer(obj: Prediction, data: dict[str, Any], actor: Actor) -> None:
    decisions.defer(
        obj, until=data["until"], note=data["note"], actor=actor, expected_version=data["version"]
    )


def _reopen(obj: Prediction, data: dict[str, Any], actor: Actor) -> None:
    decisions.reopen(obj, note=data["note"], actor=actor, expected_version=data["version"])


DECISIONS: dict[str, Decision] = {
    RESOLVE: Decision(
        form=OutcomeForm,
        apply=_outcome_decision(decisions.resolve),
        done=_resolved_words,
        what="an outcome",
    ),
    CONFIRM: Decision(
        form=ConfirmForm,
        apply=_confirm,
        done=lambda obj, data, _: (
            f"Confirmed “{obj.get_outcome_display()}” for “{obj}”: it is the outcome now."
        ),
        what="a confirmation",
    ),
    DISPUTE: Decision(
        form=OutcomeForm,
        apply=_outcome_decision(decisions.dispute),
        done=lambda obj, data, _: f"Disputed the proposed outcome of “{obj}”: a third reviewer settles it.",
        what="a dispute",
    ),
    DEFER: Decision(
        form=DeferForm,
        apply=_defer,
        done=lambda obj, data, _: f"Deferred “{obj}”: back in the review queue on {data['until']:%Y-%m-%d}.",
        what="a deferral",
    ),
    REOPEN: Decision(
        form=ReopenForm,
        apply=_reopen,
        done=lambda obj, data, _: f"Reopened “{obj}”: it is back in the review queue.",
        what="a reopening",
    ),
}


def decision_forms(
    obj: Prediction, data: Mapping[str, Any] | None = None, bound: Collection[str] = ()
) -> dict[str, Form]:
    """The decisions that apply to `obj` now; only the forms named in `bound` get `data`."""
    initial = {"version": obj.version, "known_on": timezone.localdate()}
    if obj.status == Status.RESOLVED:
        initial |= {"outcome": obj.outcome, "unresolvable_reason": obj.unresolvable_reason}
    return {
        name: decision.form(data if name in bound else None, initial=initial, prefix=name)
        for name, decision in DECISIONS.items()
        if not refusal(name, obj.status)
    }


def filled_decisions(obj: Prediction, data: Mapping[str, Any]) -> list[str]:
    """The decisions `data` has something typed or chosen in, beyond what the page showed
    (a resolved prediction's outcome is shown chosen; the version is always there)."""
    filled = []
    for name, form in decision_forms(obj, data, bound=DECISIONS).items():
        for field_name, field in form.fields.items():
            if field_name == "version":
                continue
            value = field.widget.value_from_datadict(form.data, form.files, form.add_prefix(field_name))
            shown = form.initial.get(field_name) or ""
            if value not in (None, "") and str(value).strip() and str(value) != str(shown):
                filled.append(name)
                break
    return filled


def refuse_a_filled_decision(form_class: type[ModelForm], obj: Prediction) -> type[ModelForm]:
    """The change form, refusing to save while a decision is filled in on the same page:
    the page's Save writes the prediction's own fields only, so saving then would drop the
    decision and still say "changed successfully". Nothing is saved; the decision stays
    filled in, for its own button."""

    class RefusingAFilledDecision(form_class):  # type: ignore[misc, valid-type]
        def clean(self) -> dict[str, Any]:
            cleaned = super().clean()
            if filled := filled_decisions(obj, self.data):
                what = " and ".join(DECISIONS[name].what for name in filled)
                raise ValidationError(
                    f"You filled in {what} below, which Save does not record: nothing was saved. "
                    "Record it with its own button (then save your other changes), or clear it and save."
                )
            return cleaned

    return RefusingAFilledDecision


def pending_outcomes(obj: Prediction) -> dict[str, Event | None]:
    """A panel's outcomes not yet settled: the proposal and, when disputed, the dispute."""
    if obj.status not in (Status.PROPOSED, Status.DISPUTED):
        return {}
    latest = {
        kind: obj.events.filter(kind=kind).order_by("-at", "-id").first()
        for kind in (EventKind.PROPOSED, EventKind.DISPUTED)
    }
    return {
        "proposal": latest[EventKind.PROPOSED],
        "dispute": latest[EventKind.DISPUTED] if obj.status == Status.DISPUTED else None,
    }


def decision_context(obj: Prediction, forms: dict[str, Form]) -> dict[str, Any]:
    return {
        "decision": {
            "forms": forms,
            "resolved": obj.status == Status.RESOLVED,
            "disputed": obj.status == Status.DISPUTED,
            "quorum": decisions.quorum(),
            **pending_outcomes(obj),
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
                # A Save refused for a filled-in decision shows that decision as it was typed.
                filled = filled_decisions(obj, request.POST) if request.method == "POST" else []
                context.update(decision_context(obj, decision_forms(obj, request.POST, bound=filled)))
            else:
                context["decision_not_allowed"] = True
        return super().render_change_form(request, context, add, change, form_url, obj)  # type: ignore[misc]

    def get_form(
        self, request: HttpRequest, obj: Prediction | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm]:
        form_class = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        return refuse_a_filled_decision(form_class, obj) if obj is not None else form_class

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
        # The change page posts every panel (and the prediction's fields): this one is read.
        forms = decision_forms(obj, request.POST if is_post else None, bound=(kind,))
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
