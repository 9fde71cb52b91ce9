"""System checks for configuration mistakes a user can make (`manage.py check`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    credit = settings.PARTIAL_CREDIT
    if not 0 <= credit <= 1:
        problems.append(
            Error(
                f"PARTIAL_CREDIT is {credit}; it must be between 0 and 1.",
                hint="Held up counts 1 and did not hold up 0; partially sits between.",
                id="predictions.E001",
            )
        )
    q = settings.Q_CLUSTER
    timeout, retry = q.get("timeout"), q.get("retry")
    if timeout is not None and retry is not None and timeout >= retry:
        problems.append(
            Warning(
                f"Q_CLUSTER timeout ({timeout}s) is not below retry ({retry}s).",
                hint="django-q2 delivers a task again once it outlives retry, so a slow job runs twice.",
                id="predictions.W001",
            )
        )
    if not q.get("max_attempts"):
        problems.append(
            Warning(
                "Q_CLUSTER max_attempts is 0 or unset: a failing task is retried forever.",
                id="predictions.W002",
            )
        )
    return problems
