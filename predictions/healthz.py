"""`/healthz`: is the service up? For load balancers, compose and uptime monitors.

Public and cheap: no session, no template, at most three small queries (and one to the
read replica when there is one). 200 with {"database": "ok", "scheduler": "ok"} (and
"replica": "ok"); 503 with each failing part saying what is wrong.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .dbcheck import database_address, ping, reason
from .health import cluster_missed_run, scheduler_health
from .routers import REPLICA

log = logging.getLogger(__name__)


def scheduler_status() -> str:
    now = timezone.now()
    missed = cluster_missed_run(now)
    if missed is not None:
        return f"no cluster running: the run due at {missed.isoformat()} was not picked up"
    health = scheduler_health(now)
    if health.late:
        since = health.last_success_at.isoformat() if health.last_success_at else "never"
        error = f"; last error: {health.last_error}" if health.last_error else ""
        return f"late: last success {since}{error}"
    return "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        ping()
    except OperationalError as e:
        # The driver's message names hosts and users: the log gets it, the public does not.
        log.error("Health check: database at %s unreachable: %s", database_address(), reason(e))
        body = {"database": "unreachable", "scheduler": "unknown: the database is unreachable"}
        return JsonResponse(body, status=503)
    body = {"database": "ok", "scheduler": scheduler_status()}
    if REPLICA in settings.DATABASES:
        # The public pages read it: down, they are 503s while the admin still works.
        try:
            ping(REPLICA)
            body["replica"] = "ok"
        except OperationalError as e:
            log.error("Health check: replica at %s unreachable: %s", database_address(REPLICA), reason(e))
            body["replica"] = "unreachable"
    healthy = body["scheduler"] == "ok" and body.get("replica", "ok") == "ok"
    return JsonResponse(body, status=200 if healthy else 503)


# The database-down middleware leaves this view alone: it answers 503 in JSON itself.
healthz.checks_database_itself = True  # type: ignore[attr-defined]
