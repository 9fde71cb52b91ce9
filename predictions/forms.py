"""Reviewers' forms: the outcome decision, deferral, reopening, and the prediction's own edit form.

The decision forms only validate; `decisions.py` applies them. Each carries the `version` the
reviewer saw, so a decision made on a stale page is refused instead of applied over another.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from . import decisions, transitions
from .models import NOTE_MAX, Outcome, Prediction, UnresolvableReason

NOTE_HELP = "Why: what you looked at and what it showed. Kept in the history."
EVIDENCE_HELP = "Links to what shows it, one http(s) URL per line."
MAX_EVIDENCE_LINKS = 20


class EvidenceField(forms.CharField):
    """Evidence links typed one per line; cleans to a list of validated URLs."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60})
    url_validator = URLValidator(schemes=["http", "https"])

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", EVIDENCE_HELP)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(value) > MAX_EVIDENCE_LINKS:
            raise ValidationError(f"At most {MAX_EVIDENCE_LINKS} links.", code="too_many")
        errors = []
        for number, url in enumerate(value, start=1):
            try:
                self.url_validator(url)
            except ValidationError:
                errors.append(
                    ValidationError(
                        "Line %(number)s is not a valid http(s) URL: %(url)s",
                        code="invalid_url",
                        params={"number": number, "url": url},
                    )
                )
        if errors:
            raise ValidationError(errors)

    def run_validators(self, value: list[str]) -> None:
        # CharField's own validators (no NUL character, which PostgreSQL's jsonb refuses with
        # a server error) are written for one string: run them on each line, not on the list.
        for url in value:
            super().run_validators(url)


class OutcomeFields(forms.Form):
    """Outcome, reason, note, evidence: shared by the one-prediction form and the bulk action."""

    outcome = forms.ChoiceField(choices=Outcome.choices, widget=forms.RadioSelect)
    unresolvable_reason = forms.ChoiceField(
        choices=[("", "—")] + UnresolvableReason.choices,
        required=False,
        label="Unresolvable because",
        help_text="Only for an unresolvable outcome.",
    )
    note = forms.CharField(
        max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), help_text=NOTE_HELP
    )
    evidence = EvidenceField()
    known_on = forms.DateField(
        label="Known on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=(
            "When the outcome became known (the day what shows it came out), not when you record it. "
            "Not after today, nor before the source was published."
        ),
    )

    def clean_known_on(self) -> date:
        # Not before the source: decisions.py knows the prediction and says so.
        known_on = self.cleaned_data["known_on"]
        today = timezone.localdate()
        if known_on > today:
            raise ValidationError(transitions.KNOWN_ON_FUTURE.format(today=today))
        return known_on

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        outcome = data.get("outcome")
        reason = data.get("unresolvable_reason")
        if outcome and (refused := transitions.outcome_refusal(outcome, reason or "")):
            self.add_error("unresolvable_reason", refused)
        return data


class OutcomeForm(OutcomeFields):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ConfirmForm(forms.Form):
    """A second reviewer agrees with the proposed outcome (REVIEW_QUORUM = 2)."""

    note = forms.CharField(
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="What you checked, and that it shows the proposed outcome. Kept in the history.",
    )
    evidence = EvidenceField()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DeferForm(forms.Form):
    until = forms.DateField(
        label="Defer review until",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="It leaves the queue and comes back on this date. The due date is not changed.",
    )
    note = forms.CharField(
        max_length=NOTE_MAX,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Why it cannot be judged yet.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean_until(self) -> date:
        until = self.cleaned_data["until"]
        if refused := transitions.deferral_refusal(until, timezone.localdate()):
            raise ValidationError(refused)
        return until


class ReopenForm(forms.Form):
    note = forms.CharField(
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Why the outcome is withdrawn; the prediction goes back to the review queue.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# The prediction's own fields, as its edit page groups them; the form edits the same list.
PREDICTION_FIELDSETS: list[tuple[str | None, list[str]]] = [
    (
        None,
        [
            "claim",
            "quote",
            "speaker",
            "attribution",
            "attribution_note",
            "excerpt",
            "source",
            "key",
            "section",
            "topics",
            "source_timestamp",
            "source_note",
        ],
    ),
    (
        "When and how it is judged",
        ["horizon", "horizon_as_said", "stated_on", "due_on", "resolution_criteria", "probability"],
    ),
]


class PredictionForm(forms.ModelForm):
    """The prediction's own fields. Status and outcome are not here: only decisions change them.

    It takes part in the same optimistic lock as the decisions, so an edit made on a page
    loaded before someone else's decision or edit is refused rather than saved over it.
    """

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Prediction
        fields = [name for _, names in PREDICTION_FIELDSETS for name in names]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.pk is None:
            return data
        seen = data.get("seen_version")
        # The admin runs the whole change view in one transaction, so this row lock holds
        # until the save: no decision can slip in between the check and the write.
        rows = Prediction.objects.only("version")
        if transaction.get_connection().in_atomic_block:  # PostgreSQL refuses FOR UPDATE outside one
            rows = rows.select_for_update()
        current = rows.get(pk=self.instance.pk)
        if seen is None or seen != current.version:
            raise ValidationError(decisions.describe_change(self.instance.pk), code="stale")
        return data
