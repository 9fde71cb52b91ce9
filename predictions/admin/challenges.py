"""The *Challenges* queue: readers' challenges to recorded outcomes, waiting ones first, and
a reviewer's answer (the rule is `challenges.answer`). Nobody adds, edits or deletes a
challenge here; an answer is given once."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.html import format_html

from .. import challenges
from ..actors import Actor
from ..links import link_or_text
from ..models import NOTE_MAX, Challenge, ChallengeStatus
from .access import may_decide, may_read

UPHOLD, DECLINE = "uphold", "decline"
# Room for "Challenge <id> upheld: " in the reopening's note.
ANSWER_MAX = NOTE_MAX - 40


class AnswerForm(forms.ModelForm):
    decision = forms.ChoiceField(
        choices=[(UPHOLD, "Uphold: withdraw the outcome and reopen the prediction"), (DECLINE, "Decline: keep the outcome")],
        widget=forms.RadioSelect,
    )  # fmt: skip
    text = forms.CharField(
        label="Answer",
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Why: shown publicly with the challenge (as by “Reviewer”).",
    )

    class Meta:
        model = Challenge
        fields: list[str] = []


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    form = AnswerForm
    list_display = ["created_at", "prediction_link", "contested_outcome", "status"]
    list_filter = ["status"]
    list_select_related = ["prediction"]
    readonly = ["prediction_link", "contested_outcome", "reason", "evidence_links", "created_at"]
    answered = ["status", "answer", "answered_at", "answered_by", "reopening"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Challenge]:
        waiting_first = Case(
            When(status=ChallengeStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return (
            super()
            .get_queryset(request)
            .annotate(waiting=waiting_first)
            .order_by("waiting", "created_at", "id")
        )

    @admin.display(description="Prediction")
    def prediction_link(self, obj: Challenge) -> str:
        return format_html('<a href="{}">{}</a>', obj.prediction.get_absolute_url(), obj.prediction.claim)

    @admin.display(description="Evidence")
    def evidence_links(self, obj: Challenge) -> str:
        return format_html("<br>".join(["{}"] * len(obj.evidence)), *[link_or_text(u) for u in obj.evidence])

    def get_readonly_fields(self, request: HttpRequest, obj: Challenge | None = None) -> list[str]:
        return self.readonly + (
            self.answered if obj is not None and obj.status != ChallengeStatus.PENDING else []
        )

    def get_fields(self, request: HttpRequest, obj: Challenge | None = None) -> list[str]:
        if obj is not None and obj.status == ChallengeStatus.PENDING and may_decide(request):
            return [*self.readonly, "decision", "text"]
        return self.get_readonly_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Challenge | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Challenge | None = None) -> bool:
        return may_read(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_read(request)

    def has_change_permission(self, request: HttpRequest, obj: Challenge | None = None) -> bool:
        # Answering needs the reviewers' permission, and only a waiting challenge has an answer to give.
        return may_decide(request) and (obj is None or obj.status == ChallengeStatus.PENDING)

    def save_model(self, request: HttpRequest, obj: Challenge, form: forms.Form, change: bool) -> None:
        try:
            challenges.answer(
                obj,
                upheld=form.cleaned_data["decision"] == UPHOLD,
                text=form.cleaned_data["text"],
                actor=Actor.of(request.user),
            )
        except challenges.ChallengeError as error:
            request._challenge_refused = str(error)  # type: ignore[attr-defined]

    def message_user(self, request: HttpRequest, message: str, *args: Any, **kwargs: Any) -> None:
        refused = getattr(request, "_challenge_refused", None)
        if refused:
            super().message_user(request, f"Nothing was saved: {refused}", messages.ERROR)
        else:
            super().message_user(request, message, *args, **kwargs)

    def save_related(self, request: HttpRequest, form: forms.Form, formsets: Any, change: bool) -> None:
        """Nothing related to save: the answer is the service's."""
