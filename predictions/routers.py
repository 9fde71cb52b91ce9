"""An optional read replica (DATABASE_REPLICA_URL): the public read-only pages and the API's
GETs read from it; everything else uses the primary.

Which requests may read a replica is decided per request (ReplicaReadsMiddleware sets a
context variable, per thread and per asyncio task), not per model: the same Prediction is
read from the replica by the scorecard and from the primary by the admin, whose reviewer
must see the decision they just made. Within a request that may, a read inside a
transaction on the primary stays there (a transaction that writes then reads must see its
own writes), and every write goes to the primary whatever the request.

A replica lags: a public page may show a decision a moment late, never a wrong one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"

# Paths that read the primary even for a GET: the admin (and its login) shows reviewers what
# they just did; /healthz checks the primary; the history downloads are the record.
PRIMARY_ONLY = ("/admin/", "/healthz", "/export/")

_reads_replica: ContextVar[bool] = ContextVar("reads_replica", default=False)


def may_read_replica(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD") and not request.path.startswith(PRIMARY_ONLY)


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if _reads_replica.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # the replica follows the primary's schema by replication


class ReplicaReadsMiddleware:
    """Marks a public GET as one that may read the replica, for the length of the view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if REPLICA not in settings.DATABASES:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not may_read_replica(request):
            return self.get_response(request)
        token = _reads_replica.set(True)
        try:
            return self.get_response(request)
        finally:
            _reads_replica.reset(token)
