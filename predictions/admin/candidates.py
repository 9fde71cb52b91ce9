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
from django.db.models import Count, Model, QuerySet
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
from ..models.candidate import PersonCandidate
from .access import StaffMayReadMixin, may_decide


class AcceptForm(forms.Form):
    claim = forms.CharField(
        max_length=CLAIM_MAX, widget=forms.Textarea(attrs={"rows": 3}), help_text="One testable sentence."
    )
    speaker = forms.ModelChoiceField(Speaker.objects.all(), required=False)
    create_speaker = forms.BooleanField(
        required=False, label="Create the proposed speaker", help_text="When no stored speaker is chosen."
    )
    attribution = forms.ChoiceField(choices=Attribution.choices)
    horizon = forms.ChoiceField(choices=Horizon.choices)
    horizon_as_said = forms.CharField(max_length=100)
    due_on = forms.DateField(help_text="YYYY-MM-DD")
    resolution_criteria = forms.CharField(
        max_length=CRITERIA_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What would count as holding up.",
    )

    def __init__(self, *args: Any, candidate: Candidate | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = candidate.person if candidate is not None else None
        if person is None or person.speaker_id is not None:
            del self.fields["create_speaker"]
        else:
            self.fields["create_speaker"].label = f"Create the speaker “{person.name}”"
            self.fields["create_speaker"].help_text = (
                f"{person.get_found_display()}{': ' + person.description if person.description else ''}. "
                "Created with the prediction, only if no stored speaker is chosen above."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "speaker" in data and "attribution" in data:
            someone = data["speaker"] is not None or bool(data.get("create_speaker"))
            if not speaker_agrees(someone, data["attribution"]):
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
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept and shown on the candidate: why this is not a prediction to track.",
    )


class BulkAcceptForm(forms.Form):
    resolution_criteria = forms.CharField(
        max_length=CRITERIA_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="The claim holds as stated by its due date.",
        help_text="For every selected candidate; each is accepted with its own claim, speaker, horizon and due date.",
    )


@admin.register(Candidate)
class CandidateAdmin(StaffMayReadMixin, admin.ModelAdmin):
    list_display = ["short_claim", "short_section", "due_on", "speaker_label", "passage_state", "status"]
    list_filter = ["status", "horizon", "attribution", "source"]
    search_fields = ["text", "claim", "section"]
    list_select_related = ["speaker", "source", "person"]
    list_per_page = 100
    actions = ["accept_selected", "reject_selected"]
    change_list_template = "admin/predictions/candidate/change_list.html"
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
        "person",
        "attribution",
        "source_timestamp",
        "passage",
        "match_score",
        "runner_up",
        "prediction",
        "reject_reason",
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

    @admin.display(description="section", ordering="section")
    def short_section(self, obj: Candidate) -> str:
        # The innermost headings say where; the whole path is on the candidate's page.
        return Truncator(obj.section.split(" › ")[-1]).chars(40)

    @admin.display(description="speaker", ordering="speaker__name")
    def speaker_label(self, obj: Candidate) -> str:
        if obj.speaker_id:
            return f"{obj.speaker} ({obj.get_attribution_display()})"
        if obj.person_id:
            return f"{obj.person} (new; {obj.get_attribution_display()})"
        return "Unattributed"

    @admin.display(description="transcript")
    def passage_state(self, obj: Candidate) -> str:
        if obj.match_score is None:
            return "—"
        if obj.passage_not_found:
            return f"passage not found (best {obj.match_score:.0f})"
        minutes, seconds = divmod(obj.source_timestamp or 0, 60)
        unsure = ""
        if obj.runner_up_score is not None and obj.match_score - obj.runner_up_score < 10:
            unsure = f", unsure: {obj.runner_up_score:.0f} elsewhere"
        return f"at {minutes}:{seconds:02d} ({obj.match_score:.0f}{unsure})"

    @admin.display(description="runner-up")
    def runner_up(self, obj: Candidate) -> str:
        if obj.runner_up_score is None:
            return "—"
        minutes, seconds = divmod(obj.runner_up_timestamp or 0, 60)
        return f"{obj.runner_up_score:.0f} at {minutes}:{seconds:02d}"

    @admin.action(description="Accept the selected candidates as proposed", permissions=["resolve"])
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> HttpResponse | None:
        form = BulkAcceptForm(request.POST if "confirm" in request.POST else None)
        proposed = queryset.filter(status=CandidateStatus.PROPOSED).select_related("speaker", "person")
        if form.is_bound and form.is_valid():
            actor = Actor.of(request.user)
            done, refused = 0, []
            for candidate in proposed:
                acceptance = review.as_proposed(candidate, form.cleaned_data["resolution_criteria"])
                try:
                    review.accept(candidate.pk, acceptance, actor)
                    done += 1
                except DecisionError as exc:
                    refused.append(f"#{candidate.pk}: {exc}")
            self.message_user(request, f"Accepted {done} candidates.", messages.SUCCESS)
            for message in refused:
                self.message_user(request, message, messages.WARNING)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Accept the selected candidates as proposed",
            "candidates": proposed,
            "form": form,
            "action": "accept_selected",
        }
        return TemplateResponse(request, "admin/predictions/candidate/bulk_accept.html", context)

    @admin.action(description="Reject the selected candidates", permissions=["resolve"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        actor = Actor.of(request.user)
        done, refused = 0, []
        for pk in queryset.filter(status=CandidateStatus.PROPOSED).values_list("pk", flat=True):
            try:
                review.reject(pk, actor, "Rejected with others from the list.")
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
        person = candidate.person
        initial = {
            "claim": candidate.claim,
            "speaker": candidate.speaker_id or (person.speaker_id if person else None),
            "create_speaker": person is not None and person.speaker_id is None and not candidate.speaker_id,
            "attribution": candidate.attribution,
            "horizon": candidate.horizon,
            "horizon_as_said": candidate.horizon_as_said,
            "due_on": candidate.due_on,
        }
        form = AcceptForm(request.POST or None, initial=initial, candidate=candidate)
        if request.method == "POST" and form.is_valid():
            try:
                prediction = review.accept(
                    candidate.pk,
                    review.Acceptance(**{"create_speaker": False, **form.cleaned_data}),
                    Actor.of(request.user),
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
        form = RejectForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                review.reject(candidate.pk, Actor.of(request.user), form.cleaned_data["reason"])
            except DecisionError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, "Rejected.", messages.SUCCESS)
                return self._done(request, candidate)
        return self._decide_page(request, candidate, form, "Reject this candidate", "Reject")


@admin.register(PersonCandidate)
class PersonCandidateAdmin(StaffMayReadMixin, admin.ModelAdmin):
    """The people ingest found (read-only): each becomes a speaker when a reviewer accepts a
    claim credited to them, or names the stored speaker they already are."""

    list_display = ["name", "description", "found", "source", "speaker", "claims"]
    list_filter = ["found", "source"]
    search_fields = ["name", "description"]
    list_select_related = ["source", "speaker"]
    fields = ["name", "description", "found", "line", "source", "speaker"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[PersonCandidate]:
        return super().get_queryset(request).annotate(claim_count=Count("candidates"))

    @admin.display(description="claims credited", ordering="claim_count")
    def claims(self, obj: PersonCandidate) -> int:
        return obj.claim_count  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # candidates point at them
