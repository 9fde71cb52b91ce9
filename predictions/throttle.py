"""How many requests an anonymous client may make to the API and the calendars.

Who the client is: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT proxies, the Nth address from
the right of X-Forwarded-For, the one the outermost trusted proxy saw connecting. Everything
left of it was written by the client, so a fresh made-up address per request buys nothing.

How it counts: a fixed window per client and scope, in Django's cache (`caching.count`).
`cache.add` creates the window's counter (only the first request of a window does) and
`cache.incr` counts (Redis INCR; the local-memory cache increments under its lock), so
clients sharing one cache never both read "119" and both get in, as a read and then a write
of the count lets in every client that read before the write. A client can make up to twice
the rate across a window's edge, the price of one atomic counter instead of a list of
timestamps.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import caching

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
RATE = re.compile(r"(\d+)/(\d*)(s|sec|m|min|h|hour|d|day)")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


def parse_rate(rate: str) -> tuple[int, int]:
    """`120/min` -> (120, 60); `10/5m` -> (10, 300)."""
    match = RATE.fullmatch(rate)
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * PERIODS[unit]


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if not forwarded:
        return remote
    # Fewer addresses than proxies: the request came in past the outer ones, and the
    # leftmost is what the first proxy it met saw.
    return forwarded[-min(proxies, len(forwarded))]


def hit(scope: str, ident: str, rate: str, now: float | None = None) -> Verdict:
    """Count one request by `ident` in `scope` against `rate`."""
    limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    retry_after = max(1, math.ceil((window + 1) * period - now))
    # The window number is in the key, so a counter outliving its window is never read
    # again; the timeout only lets the cache forget it.
    count = caching.count(f"throttle:{scope}:{ident}:{window}", retry_after + 1)
    # A cache that is down lets the request through (fails open): refusing everyone would
    # make the cache's outage the API's, while letting everyone in for its duration is the
    # exposure of a site without a throttle. caching.py logs that it is off.
    return Verdict(allowed=count is None or count <= limit, retry_after=retry_after)


def too_many(
    request: HttpRequest,
    retry_after: int,
    what: str = "requests",
    *,
    form: Literal["text", "json", "page"] = "text",
    note: str = "",
) -> HttpResponse:
    """The one answer to a client past its count: 429, Retry-After the seconds until the
    window ends, and a body that says how long, in the form the client reads: plain text
    (a calendar), the API's JSON error ({"detail": ...}), or a page (a form; `note` adds what
    became of what was sent)."""
    text = f"Too many {what} from your address: try again in {retry_after} second{'s' if retry_after != 1 else ''}."
    if form == "json":
        response = HttpResponse(
            json.dumps({"detail": text}), status=429, content_type="application/json; charset=utf-8"
        )
    elif form == "page":
        context = {"title": f"Too many {what}", "text": f"{text} {note}".strip()}
        response = render(request, "predictions/message.html", context, status=429)
    else:
        response = HttpResponse(f"{text}\n", status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response


def throttled(scope: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view decorator: past `settings.API_ANON_RATE` in `scope`, a 429 with Retry-After."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            verdict = hit(scope, client_address(request), settings.API_ANON_RATE)
            if not verdict.allowed:
                return too_many(request, verdict.retry_after)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
