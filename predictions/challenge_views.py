"""A reader contests a recorded outcome (`challenges.py` does the work).

No account. The form is counted per client address (CHALLENGE_RATE, default 3 an hour, in
the throttle's shared count): past it, a 429 and nothing written. A field hidden from people
(`website`) catches robots: filled, the answer is the same and nothing is written. The
address is used for the count only and never stored.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from . import challenges, throttle
from .forms import EvidenceField
from .models import CHALLENGE_REASON_MAX, Prediction, Status

CHALLENGE_RATE = settings.CHALLENGE_RATE
MAX_LINKS = 10


class ChallengeForm(forms.Form):
    reason = forms.CharField(
        label="Why the outcome is wrong",
        max_length=CHALLENGE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
    )
    evidence = EvidenceField(label="Evidence", help_text="Links to what shows it, one http(s) URL per line.")
    website = forms.CharField(required=False, label="Leave this empty")

    def clean_evidence(self) -> list[str]:
        links = self.cleaned_data["evidence"]
        if len(links) > MAX_LINKS:
            raise forms.ValidationError(f"At most {MAX_LINKS} links.")
        return links


@require_http_methods(["GET", "HEAD", "POST"])
def challenge(request: HttpRequest, pk: int) -> HttpResponse:
    prediction = get_object_or_404(Prediction.objects.select_related("speaker", "source"), pk=pk)
    if prediction.status != Status.RESOLVED:
        return render(
            request,
            "predictions/message.html",
            {"title": "Nothing to contest", "text": "This prediction has no recorded outcome now.",
             "link": prediction.get_absolute_url()},
            status=409,
        )  # fmt: skip
    form = ChallengeForm(request.POST or None)
    if request.method == "POST":
        verdict = throttle.hit("challenge", throttle.client_address(request), CHALLENGE_RATE)
        if not verdict.allowed:
            return throttle.too_many(
                request, verdict.retry_after, "challenges", form="page", note="Nothing was saved."
            )
        if form.is_valid():
            if not form.cleaned_data["website"]:
                challenges.submit(
                    prediction, reason=form.cleaned_data["reason"], evidence=form.cleaned_data["evidence"]
                )
            return render(
                request,
                "predictions/message.html",
                {"title": "Thank you",
                 "text": "A reviewer will read your challenge and answer it. It is shown on the prediction's page "
                 "with the answer, not before, and never with anything that says who sent it.",
                 "link": prediction.get_absolute_url()},
            )  # fmt: skip
    status = 400 if form.errors else 200
    return render(
        request, "predictions/challenge.html", {"prediction": prediction, "form": form}, status=status
    )
