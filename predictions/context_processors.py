"""Template context for the admin's "scheduler late" warning (templates/admin/base_site.html)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .health import scheduler_health


def scheduler(request: HttpRequest) -> dict[str, object]:
    # Lazy: the two small queries run only on pages that show the warning (the admin, for
    # staff), never on the public pages that share this context.
    return {"scheduler_health": SimpleLazyObject(scheduler_health)}
