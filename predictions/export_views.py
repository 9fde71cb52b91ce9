"""Downloads of the resolution history, its JSON Schema, and the admin's export action.

Who may download: logged-in staff, with reviewers' user names; with settings.PUBLIC_EXPORT
anyone, where everyone but staff gets "reviewer" instead of a reviewer's user name.
Anonymous visitors are otherwise sent to the login page; a logged-in non-staff user is
refused (403), as the admin would.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_safe

from .export_schema import export_json_schema
from .export_stream import stream_export
from .exporting import CONTENT_TYPES, check_format
from .filtering import FilterError, Filters, parse, single_values


def _is_staff(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.is_active and request.user.is_staff


def export_access(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The download access rule; the view receives `public=True` when names must be hidden."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if _is_staff(request):
            return view(request, *args, public=False, **kwargs)
        if settings.PUBLIC_EXPORT:
            return view(request, *args, public=True, **kwargs)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied("The history downloads are for staff.")

    return wrapper


def streamed(fmt: str, filters: Filters, *, public: bool, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        stream_export(fmt, filters, public=public), content_type=CONTENT_TYPES[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if not public:
        # Reviewers' names are in it: no shared cache may keep a copy.
        patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
@export_access
def resolutions(request: HttpRequest, fmt: str, *, public: bool) -> HttpResponse:
    try:
        check_format(fmt)
        filters = parse(single_values(request.GET))
    except FilterError as e:
        return HttpResponseBadRequest(f"{e}\n", content_type="text/plain; charset=utf-8")
    return streamed(fmt, filters, public=public, filename=f"resolutions.{fmt}")


@require_safe  # HEAD too, as the other public pages: a link checker may ask
def schema(request: HttpRequest) -> JsonResponse:
    """The row format's JSON Schema: public, it holds no data."""
    return JsonResponse(export_json_schema(), json_dumps_params={"indent": 2})


@admin.action(description="Export the selected predictions' history (CSV)")
def export_history_csv(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse:
    # Reached only through the admin, so only by staff: reviewers' names are kept.
    filters = Filters(predictions=queryset.values("pk"))
    return streamed("csv", filters, public=False, filename="prediction-history.csv")
