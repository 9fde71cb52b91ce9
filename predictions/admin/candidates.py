"""The admin's "Candidates" list: predictions proposed by `manage.py ingest_summary`, for a
reviewer to accept, merge into an existing prediction, or reject.

Every staff member may read candidates; only holders of
`predictions.resolve_prediction` may decide. Nobody edits a candidate in place: the accept
page carries the edits (claim, speaker, horizon, due date) into the new prediction.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.text import Truncator

from ..decisions import Actor, DecisionError
from ..ingest import review
from ..models import (
    CLAIM_MAX,
    CRITERIA_MAX,
    SPEAKER_OR_NEITHER,
    Attribution,
    Candidate,
    CandidateStatus,
    Horizon,
    Prediction,
    Speaker,
    speaker_agrees,
)
from .access import StaffMayReadMixin, may_decide


class AcceptForm(forms.Form):
    claim = forms.CharField(
        max_length=CLAIM_MAX, widget=forms.Textarea(attrs={"rows": 3}), help_text="One testable sentence."
    )
    speaker = forms.ModelChoiceField(Speaker.objects.all(), required=False)
    attribution = forms.ChoiceField(choices=Attribution.choices)
    horizon = forms.ChoiceField(choices=Horizon.choices)
    horizon_as_said = forms.CharField(max_length=100)
    due_on = forms.DateField(help_text="YYYY-MM-DD")
    resolution_criteria = forms.CharField(
        max_length=CRITERIA_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What would count as holding up.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "speaker" in data and "attribution" in data:
            if not speaker_agrees(data["speaker"] is not None, data["attribution"]):
                raise forms.ValidationError(SPEAKER_OR_NEITHER)
        return data


class MergeForm(forms.Form):
    prediction = forms.ModelChoiceField(
        Prediction.objects.none(), help_text="The prediction this candidate repeats."
    )

    def __init__(self, *args: Any, candidate: Candidate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prediction"].queryset = Prediction.objects.filter(source=candidate.source).order_by(
            "claim"
        )


class RejectForm(forms.Form):
    pass


@admin.register(Candidate)
class CandidateAdmin(StaffMayReadMixin, admin.ModelAdmin):
    list_display = ["short_claim", "section", "horizon", "due_on", "speaker_label", "passage_state", "status"]
    list_filter = ["status", "horizon", "attribution", "source"]
    search_fields = ["text", "claim", "section"]
    list_select_related = ["speaker", "source"]
    list_per_page = 100
    actions = ["reject_selected"]
    change_form_template = "admin/predictions/candidate/change_form.html"
    fields = [
        "status",
        "source",
        "section",
        "line",
        "text",
        "claim",
        "horizon",
        "horizon_as_said",
        "due_on",
        "speaker",
        "attribution",
        "source_timestamp",
        "passage",
        "match_score",
        "prediction",
        "decided_by",
        "decided_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # candidates come from ingest_summary

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # decisions go through the accept / merge / reject pages

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # a rejected candidate stays, so a re-ingest does not propose it again

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return may_decide(request)

    @admin.display(description="claim", ordering="claim")
    def short_claim(self, obj: Candidate) -> str:
        return Truncator(obj.claim).chars(90)

    @admin.display(description="speaker", ordering="speaker__name")
    def speaker_label(self, obj: Candidate) -> str:
        return f"{obj.speaker} ({obj.get_attribution_display()})" if obj.speaker_id else "Unattributed"

    @admin.display(description="transcript")
    def passage_state(self, obj: Candidate) -> str:
        if obj.match_score is None:
            return "—"
        if obj.passage_not_found:
            return f"passage not found (best {obj.match_score:.0f})"
        minutes, seconds = divmod(obj.source_timestamp or 0, 60)
        return f"at {minutes}:{seconds:02d} ({obj.match_score:.0f})"

    @admin.action(description="Reject the selected candidates", permissions=["resolve"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        actor = Actor.of(request.user)
        done, refused = 0, []
        for pk in queryset.filter(status=CandidateStatus.PROPOSED).values_list("pk", flat=True):
            try:
                review.reject(pk, actor)
                done += 1
            except DecisionError as exc:
                refused.append(f"#{pk}: {exc}")
        self.message_user(request, f"Rejected {done} candidates.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/accept/", wrap(self.accept_view), name="predictions_candidate_accept"),
            path("<path:object_id>/merge/", wrap(self.merge_view), name="predictions_candidate_merge"),
            path("<path:object_id>/reject/", wrap(self.reject_view), name="predictions_candidate_reject"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra = {"may_decide": self.has_resolve_permission(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def _candidate(self, request: HttpRequest, object_id: str) -> Candidate:
        if not self.has_resolve_permission(request):
            raise PermissionDenied
        candidate = self.get_object(request, unquote(object_id))
        if candidate is None:
            raise Http404
        return candidate

    def _decide_page(
        self, request: HttpRequest, candidate: Candidate, form: forms.Form, title: str, button: str
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "candidate": candidate,
            "form": form,
            "button": button,
        }
        return TemplateResponse(request, "admin/predictions/candidate/decide.html", context)

    def _done(self, request: HttpRequest, candidate: Candidate) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:predictions_candidate_change", args=[candidate.pk]))

    def accept_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        candidate = self._candidate(request, object_id)
        initial = {
            "claim": candidate.claim,
            "speaker": candidate.speaker_id,
            "attribution": candidate.attribution,
            "horizon": candidate.horizon,
            "horizon_as_said": candidate.horizon_as_said,
            "due_on": candidate.due_on,
        }
        form = AcceptForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                prediction = review.accept(
                    candidate.pk, review.Acceptance(**form.cleaned_data), Actor.of(request.user)
                )
            except DecisionError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, f'Accepted as the prediction "{prediction}".', messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:predictions_prediction_change", args=[prediction.pk])
                )
        return self._decide_page(request, candidate, form, "Accept this candidate as a prediction", "Accept")

    def merge_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        candidate = self._candidate(request, object_id)
        form = MergeForm(request.POST or None, candidate=candidate)
        if request.method == "POST" and form.is_valid():
            try:
                review.merge(candidate.pk, form.cleaned_data["prediction"], Actor.of(request.user))
            except DecisionError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request, "Merged: the candidate is linked to the prediction.", messages.SUCCESS
                )
                return self._done(request, candidate)
        return self._decide_page(request, candidate, form, "Merge this candidate into a prediction", "Merge")

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        candidate = self._candidate(request, object_id)
        form = RejectForm(request.POST or None)
        if request.method == "POST":
            try:
                review.reject(candidate.pk, Actor.of(request.user))
            except DecisionError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, "Rejected.", messages.SUCCESS)
                return self._done(request, candidate)
        return self._decide_page(request, candidate, form, "Reject this candidate", "Reject")
