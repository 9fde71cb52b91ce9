"""Requests the pages cannot serve get an answer that says so, not a 500.

`NulRefusedMiddleware`: a NUL character in the query string is a 400. PostgreSQL cannot hold
NUL in text, so a filter value carrying one failed as a 500 inside whichever query met it
(scorecard, API, pickers); forms already refuse it (Django's ProhibitNullCharactersValidator).

`DatabaseUnavailableMiddleware`: an unreachable database is a 503 page saying so, not a 500
with a traceback in the log.

Placed after whitenoise (static files need no database) and before the session and auth
middleware. It makes sure the connection is open before the page runs, so a page that
would not query (the admin login form for a visitor with no session) is a 503 like every
other page instead of a form whose submission fails. With persistent connections
(CONN_MAX_AGE) that costs nothing: the open connection is reused.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import OperationalError as DjangoOperationalError
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from .dbcheck import database_address, is_unreachable, reason

log = logging.getLogger(__name__)


class NulRefusedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return nul_refused(request, key.replace("\x00", "\\x00"))
        return self.get_response(request)


def nul_refused(request: HttpRequest, parameter: str) -> HttpResponse:
    detail = (
        f"Invalid value for parameter {parameter!r}: a NUL character (\\x00), which no value can contain."
    )
    if request.path.startswith("/api/"):
        # The API's own 400 body (api/schemas.ErrorOut), as for any other bad parameter.
        return JsonResponse({"detail": detail, "parameter": parameter}, status=400)
    return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: object, kwargs: object
    ) -> HttpResponse | None:
        # /healthz reports a down database in its own JSON.
        if getattr(view, "checks_database_itself", False):
            return None
        try:
            connection.ensure_connection()
        except DjangoOperationalError as e:
            if not is_unreachable(e):
                raise
            log.error("Database at %s unreachable: %s", database_address(), reason(e))
            return database_unavailable_response()
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not (isinstance(exception, DjangoOperationalError) and is_unreachable(exception)):
            return None
        log.error("Database at %s unreachable: %s", database_address(), reason(exception))
        return database_unavailable_response()


def database_unavailable_response() -> HttpResponse:
    response = HttpResponse(render_to_string("database_unavailable.html"), status=503)
    response["Retry-After"] = "30"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an unreachable database met outside a view (the session saved by its
    middleware, say) is the same 503 page; anything else is Django's plain 500."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DjangoOperationalError) and is_unreachable(exception):
        return database_unavailable_response()
    return defaults.server_error(request)
