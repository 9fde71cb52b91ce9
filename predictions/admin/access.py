"""Who may do what in the admin: one helper per access rule.

Every active staff member may read predictions and their history; only holders of
`predictions.resolve_prediction` (the "Reviewers" group) may record, change, defer or
reopen an outcome.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from ..models import RESOLVE_PERMISSION


def may_decide(request: HttpRequest) -> bool:
    return request.user.has_perm(RESOLVE_PERMISSION)


def may_read(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_staff)


def selected_pks(request: HttpRequest) -> set[str]:
    return {pk for pk in request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME) if pk.isdigit()}


class StaffMayReadMixin:
    """Any active staff member may read (the admin site already requires is_staff); other
    permissions stay with the model's own add/change/delete permissions."""

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may_read(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_read(request)
