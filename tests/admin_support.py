"""What the admin tests share: the admin's addresses and the outcome form's data."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from predictions.models import (
    Outcome,
    Prediction,
)

CHANGELIST = reverse("admin:predictions_prediction_changelist")


def change_url(p: Prediction) -> str:
    return reverse("admin:predictions_prediction_change", args=[p.pk])


def decide_url(p: Prediction, kind: str) -> str:
    return reverse("admin:predictions_prediction_decide", args=[p.pk, kind])


def resolve_data(p: Prediction, **overrides: str) -> dict[str, Any]:
    data = {
        "resolve-outcome": Outcome.HELD_UP,
        "resolve-unresolvable_reason": "",
        "resolve-note": "The clusters came online in March.",
        "resolve-evidence": "https://example.org/clusters\nhttps://example.org/second",
        "resolve-version": str(p.version),
        "resolve-known_on": timezone.localdate().isoformat(),
    }
    data.update({f"resolve-{k}": v for k, v in overrides.items()})
    return data


def form_data(response: Any) -> dict[str, Any]:
    """What the browser would post back from an admin change page, unchanged: the
    prediction's fields, the inlines and the decision panels, which are in the same form."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    if "decision" in response.context:
        forms += response.context["decision"]["forms"].values()
    for form in forms:
        for field in form:
            value = field.value()
            if value is not None:
                data[field.html_name] = value
    return data
