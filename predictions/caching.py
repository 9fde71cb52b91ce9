"""Django's cache as what it is here, an optimisation: the rendered scorecard and the
throttle's counts. A cache that does not answer (a shared Redis restarting or unreachable)
makes a page slower, never an error page: the pages and the throttle reach the cache only
through these functions, which log its first failure and then keep quiet until it answers
again, so an outage is one line in the log, not one per request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache

logger = logging.getLogger("predictions.cache")


class _State:
    failing = False  # per process; a race between threads at worst logs a second line


state = _State()


def _failed(operation: str, error: Exception) -> None:
    if not state.failing:
        state.failing = True
        logger.warning(
            "The cache is not answering (%s: %s: %s): pages are rendered afresh and the "
            "throttle lets every request through until it does.",
            operation,
            type(error).__name__,
            error,
        )


def _answered() -> None:
    if state.failing:
        state.failing = False
        logger.warning("The cache is answering again.")


# Each backend raises its own client's errors (redis-py's ConnectionError and TimeoutError,
# OSError, ...), so any exception from a cache call counts as the cache being down.


def get(key: str, version: str | None = None) -> Any:
    """The cached value, or None when there is none or the cache is down."""
    try:
        value = cache.get(key, version=version)
    except Exception as error:  # noqa: BLE001 - see above
        _failed("get", error)
        return None
    _answered()
    return value


def set(key: str, value: Any, timeout: int, version: str | None = None) -> None:  # noqa: A001 - the cache's own word
    try:
        cache.set(key, value, timeout, version=version)
    except Exception as error:  # noqa: BLE001 - see above
        _failed("set", error)
        return
    _answered()


def count(key: str, timeout: int) -> int | None:
    """Add one to the counter `key` (created at 0 with `timeout` if missing) and return it,
    atomically: `add` creates it only if absent, `incr` is Redis's INCR (the local-memory
    cache's increments hold its lock). None when the cache is down."""
    try:
        cache.add(key, 0, timeout)
        try:
            value = cache.incr(key)
        except ValueError:  # evicted between add and incr: count afresh
            cache.add(key, 0, timeout)
            value = cache.incr(key)
    except Exception as error:  # noqa: BLE001 - see above
        _failed("count", error)
        return None
    _answered()
    return value
