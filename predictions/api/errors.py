"""The API's own error answers: a parameter naming nothing (BadParameter, a 400) and a
client past the throttle (`throttle.too_many` as JSON, the 429 every throttled path gives)."""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse
from ninja.errors import Throttled

from .. import throttle


class BadParameter(Exception):
    """A query parameter names something that does not exist, or cannot be read: a 400
    naming it. An empty list instead would read as "this speaker made no predictions"."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def too_many(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """ninja's Throttled (its own body says only "Too many requests.") as the site's 429:
    `AnonThrottle.wait()` is the seconds until the client's window ends."""
    return throttle.too_many(request, math.ceil(exc.wait or 1), form="json")
