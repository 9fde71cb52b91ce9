"""Django's cache as what it is here, an optimisation: the rendered scorecard pages (shared by
every process, one render per data version: `rendered_page`) and the throttle's counts. A cache that does not answer (a shared Redis restarting or unreachable)
makes a page slower, never an error page: the pages and the throttle reach the cache only
through these functions, which log its first failure and then keep quiet until it answers
again, so an outage is one line in the log, not one per request.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, cache, caches
from django.db import connections

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


# --- rendered pages, shared by every process ---------------------------------------------
#
# The scorecard's pages are rendered once per data version for every worker process and host:
# in the `pages` cache (settings.py: the same Redis when CACHE_URL or REDIS_URL names one, else
# a table in the database every process already shares). While one process renders the next
# version of a page, the others keep serving the one before it (stale-while-revalidate): a
# write a second would otherwise have every thread of every worker rendering at once.
#
# How stale: a page is served stale only while a request is rendering its next version, which
# holds the page's render lock for at most RENDER_LOCK_SECONDS; with SCORECARD_RENDER_BEHIND
# (the default) the request that finds the page out of date answers with the version before
# too and renders the new one in a thread after its response, so no reader waits for a render.
# A reader sees a decision at the latest one render (tens of milliseconds at a million
# predictions, bench/throughput.py) and STALE_RECHECK_SECONDS after the first request that
# follows it; whoever asks for
# fresh (a signed-in reviewer, who must see their own decision) never gets a stale page.

PAGES = "pages"
# A render that takes longer than this (or a process killed mid-render) lets another start.
RENDER_LOCK_SECONDS = 30
# A first view with nothing cached at all waits this long for another process's render
# before rendering itself.
COLD_WAIT_SECONDS = 5.0
COLD_POLL_SECONDS = 0.05
# Each process keeps its last few pages in memory beside the shared cache, so a warm view
# reads nothing but the data version; bounded, as the filters make many pages.
LOCAL_PAGES = 64
# While another request renders a page, this process serves the version before for this long
# before it asks the shared cache whether the new one is there (adds at most this to staleness).
STALE_RECHECK_SECONDS = 0.1


@dataclass(frozen=True)
class Rendered:
    """A page as rendered under `version` (its ETag), with the time that version was made
    (its Last-Modified) and the time it was rendered (how stale it is, when it is)."""

    version: str
    changed_at: datetime
    content: bytes
    rendered_at: float


class _Local:
    """This process's last LOCAL_PAGES pages, most recent last; only what the shared cache
    also holds, so a cache that is down is not hidden by it. A page kept while its next
    version renders elsewhere carries the time until which it is served without asking the
    shared cache again (STALE_RECHECK_SECONDS)."""

    def __init__(self) -> None:
        self.pages: OrderedDict[str, tuple[Rendered, float]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple[Rendered | None, float]:
        with self.lock:
            return self.pages.get(key, (None, 0.0))

    def keep(self, key: str, page: Rendered, recheck_at: float = 0.0) -> None:
        with self.lock:
            self.pages[key] = (page, recheck_at)
            self.pages.move_to_end(key)
            while len(self.pages) > LOCAL_PAGES:
                self.pages.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.pages.clear()


local = _Local()


def _pages() -> BaseCache:
    # A deployment (or a test) that names only a default cache keeps its pages there too.
    return caches[PAGES] if PAGES in settings.CACHES else caches["default"]


def _shared(operation: str, *args: Any) -> tuple[bool, Any]:
    """(True, the answer) from the pages cache, or (False, None) when it is down."""
    try:
        value = getattr(_pages(), operation)(*args)
    except Exception as error:  # noqa: BLE001 - see above
        _failed(operation, error)
        return False, None
    _answered()
    return True, value


def _render(key: str, version: str, changed_at: datetime, render: Callable[[], bytes]) -> Rendered:
    page = Rendered(version, changed_at, render(), time.time())
    stored, _ = _shared("set", key, page, None)
    if stored:
        local.keep(key, page)
    return page


def rendered_page(  # noqa: PLR0913 - keyword-only, each a part of the rule
    key: str,
    version: str,
    changed_at: datetime,
    render: Callable[[], bytes],
    *,
    stale_ok: bool = True,
    behind: bool = False,
) -> Rendered:
    """The page `key` as rendered under `version`, from this process, the shared cache or
    `render()`; or, when `stale_ok` and the version before is cached, that one (its own
    `version` says which) while another request renders this one, or (`behind`) while this
    request's own render runs after the response, in a thread (`start_render`). Only one
    request renders a page at a time (`add` is atomic in Redis and in the database cache
    alike); a cache that is down means a render per request, never an error."""
    mine, recheck_at = local.get(key)
    if mine is not None and (mine.version == version or (stale_ok and time.time() < recheck_at)):
        return mine
    answered, shared = _shared("get", key)
    if shared is not None and shared.version == version:
        local.keep(key, shared)
        return shared
    if not answered or not stale_ok:
        return _render(key, version, changed_at, render)
    lock = f"{key}:rendering"
    _, mine_to_render = _shared("add", lock, version, RENDER_LOCK_SECONDS)
    if not mine_to_render:
        if shared is not None:
            return _meanwhile(key, shared)  # the previous version, while another request renders this one
        shared = _wait_for(key)
        if shared is not None:
            return shared
    if mine_to_render and behind and shared is not None:
        start_render(lambda: _render_and_let_go(key, version, changed_at, render, lock))
        return _meanwhile(key, shared)
    try:
        return _render(key, version, changed_at, render)
    finally:
        if mine_to_render:
            _shared("delete", lock)


def _meanwhile(key: str, page: Rendered) -> Rendered:
    """`page`, the version before, kept in this process while the next one renders: the
    process's next requests for STALE_RECHECK_SECONDS get it without asking the shared cache
    (with a write a second, every request of every worker was reading it back)."""
    local.keep(key, page, time.time() + STALE_RECHECK_SECONDS)
    return page


def _render_and_let_go(
    key: str, version: str, changed_at: datetime, render: Callable[[], bytes], lock: str
) -> None:
    try:
        _render(key, version, changed_at, render)
    except Exception:
        logger.exception("The scorecard page %s could not be rendered behind its response.", key)
    finally:
        _shared("delete", lock)
        # This thread's own database connections (Django's are per thread): not left open.
        connections.close_all()


def start_render(job: Callable[[], None]) -> None:
    """Run `job` in a thread of its own, with the request's context variables (the read
    replica's routing, routers.py), after the response that started it has gone out."""
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(job,), name="scorecard-render", daemon=True).start()


def _wait_for(key: str) -> Rendered | None:
    """What another request's render leaves in the cache within COLD_WAIT_SECONDS, if anything."""
    for _ in range(round(COLD_WAIT_SECONDS / COLD_POLL_SECONDS)):
        time.sleep(COLD_POLL_SECONDS)
        _, shared = _shared("get", key)
        if shared is not None:
            return shared
    return None


def clear_pages() -> None:
    """Forget every rendered page, shared and this process's own (the benchmarks' "as after a
    write" without one)."""
    _shared("clear")
    local.clear()
