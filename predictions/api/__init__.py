"""The public, read-only JSON API under /api/ (django-ninja).

What the public pages show, and nothing more: reviewers appear as a role, never by name.
Every GET answers with an ETag and a 304 to a matching If-None-Match (Django's
ConditionalGetMiddleware, applied to every view in `urls()`); anonymous clients are throttled to
`settings.API_ANON_RATE` with a 429 and Retry-After (`throttle.py`: who the client is and how
it is counted); a bad query parameter is a 400 naming it.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import conditional_page
from ninja import NinjaAPI
from ninja.errors import Throttled, ValidationError
from ninja.throttling import BaseThrottle

from .. import throttle
from . import predictions, scorecard
from .errors import BadParameter, too_many


class AnonThrottle(BaseThrottle):
    """The site's throttle (`throttle.hit`) in django-ninja's shape, reading its rate from
    settings on every request, so the setting (and a test's override of it) holds without
    re-creating the API. ninja shares one instance between threads and asks `wait()` after
    `allow_request()`, so the answer between the two is kept per thread."""

    def __init__(self) -> None:
        self.last = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        verdict = throttle.hit("api", throttle.client_address(request), settings.API_ANON_RATE)
        self.last.retry_after = verdict.retry_after
        return verdict.allowed

    def wait(self) -> float | None:
        return getattr(self.last, "retry_after", None)


api = NinjaAPI(
    title="Prediction tracker",
    version="1",
    description=(
        "Read-only public data: speakers, sources, predictions with their public history, "
        "and the scorecard's numbers. Reviewers appear as a role, never by name."
    ),
    urls_namespace="api",
    throttle=[AnonThrottle()],
)


@api.exception_handler(ValidationError)
def invalid_parameter(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """ninja's 422 becomes a 400 naming the first parameter at fault."""
    first = exc.errors[0] if exc.errors else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("query", "path")]
    name = loc[0] if loc else None
    message = first.get("msg", "Invalid request.")
    detail = f"Invalid value for parameter {name!r}: {message}." if name else f"{message}."
    return api.create_response(request, {"detail": detail, "parameter": name}, status=400)


@api.exception_handler(BadParameter)
def bad_parameter(request: HttpRequest, exc: BadParameter) -> HttpResponse:
    detail = f"Invalid value for parameter {exc.parameter!r}: {exc}"
    return api.create_response(request, {"detail": detail, "parameter": exc.parameter}, status=400)


# Past the throttle: the site's one 429 (throttle.too_many), saying when to come back.
api.add_exception_handler(Throttled, too_many)

api.add_router("", predictions.router)
api.add_router("", scorecard.router)


def urls() -> tuple[list, str, str]:
    """`api.urls` with every view (the schema and docs too) answering conditional GETs:
    an ETag from the body, and 304 Not Modified when the client's If-None-Match matches."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = conditional_page(pattern.callback)
    return patterns, app_name, namespace
