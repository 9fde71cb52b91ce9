"""The public pages of following a speaker or a topic by e-mail (`following.py` does the work).

The sign-up form is counted per client address (FOLLOW_RATE, default 5 an hour, in the
throttle's shared count) and carries a field hidden from people (`website`): a form that
fills it is answered as if accepted and nothing is sent. The answer never repeats the
address, and is the same whatever the address's state.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import following, throttle
from .models import Speaker, Topic

FOLLOW_RATE = settings.FOLLOW_RATE


class FollowForm(forms.Form):
    email = forms.EmailField(label="Your e-mail address", max_length=254)
    # For robots only: hidden from people by the stylesheet and from screen readers.
    website = forms.CharField(required=False, label="Leave this empty")


def message(request: HttpRequest, title: str, text: str, *, status: int = 200, **button: str) -> HttpResponse:
    return render(
        request, "predictions/message.html", {"title": title, "text": text, **button}, status=status
    )


def bad_link(request: HttpRequest) -> HttpResponse:
    return message(
        request,
        "This link does not work",
        "It is damaged, or too old (a confirmation link lasts "
        f"{following.CONFIRM_DAYS} days). Sign up again from the speaker's page for a new one.",
        status=400,
    )


def page_of(followed: following.Followed) -> str:
    return (
        followed.get_absolute_url()
        if isinstance(followed, Topic)
        else reverse("speaker", args=[followed.slug])
    )


@require_http_methods(["GET", "HEAD", "POST"])
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    return sign_up(request, get_object_or_404(Speaker, slug=slug))


@require_http_methods(["GET", "HEAD", "POST"])
def follow_topic(request: HttpRequest, slug: str) -> HttpResponse:
    return sign_up(request, get_object_or_404(Topic, slug=slug))


def sign_up(request: HttpRequest, followed: following.Followed) -> HttpResponse:
    names = following.described(followed)
    form = FollowForm(request.POST or None)
    if request.method == "POST":
        verdict = throttle.hit("follow", throttle.client_address(request), FOLLOW_RATE)
        if not verdict.allowed:
            return throttle.too_many(request, verdict.retry_after, "sign-ups", form="page")
        if form.is_valid():
            if not form.cleaned_data["website"]:
                following.subscribe(form.cleaned_data["email"], followed)
            return message(
                request,
                "Check your e-mail",
                f"If the address is right, a message is on its way to it with a link to confirm that you "
                f"want to follow {names['name']}. Nothing is sent before you confirm.",
            )
    return render(
        request,
        "predictions/follow.html",
        {**names, "followed": followed, "page": page_of(followed), "action": request.path, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscription = following.pending(token) if request.method != "POST" else following.confirm(token)
    except following.BadLink:
        return bad_link(request)
    names = following.described(subscription.followed)
    name, about = names["name"], names["about"]
    if request.method != "POST":
        return message(
            request, f"Follow {name}?", f"Press the button to get a daily e-mail when an outcome is recorded for "
            f"{about}.", action=request.path, button="Confirm",
        )  # fmt: skip
    return message(
        request,
        f"You follow {name}",
        f"You will get an e-mail on the days an outcome is recorded for {about}. Every mail has a "
        "link to stop.",
        link=page_of(subscription.followed),
    )


@csrf_exempt  # RFC 8058 one-click: a mail client POSTs "List-Unsubscribe=One-Click", no form
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscription = (
            following.subscription_of(token) if request.method != "POST" else following.unsubscribe(token)
        )
    except following.BadLink:
        return bad_link(request)
    name = following.described(subscription.followed)["name"]
    if request.method != "POST":
        return message(
            request, f"Stop following {name}?", "Press the button and no more e-mail about it is sent.",
            action=request.path, button="Unsubscribe",
        )  # fmt: skip
    return message(request, "Unsubscribed", f"No more e-mail about {name} will be sent to you.")
