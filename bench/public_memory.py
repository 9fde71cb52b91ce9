"""Peak memory of one public request, at each bench size (issue 23: flat, under 100 MB at a
million predictions, whatever the URL).

Each URL is fetched once through Django's whole stack (test Client, no server), a streamed
response read chunk by chunk as a client would, with tracemalloc tracing Python's
allocations; the peak is printed in MB beside the process's peak RSS growth. The cache is
emptied first, so every calendar and page is built, not read back. Prints, never asserts.
"""

from __future__ import annotations

import resource
import tracemalloc
from collections.abc import Callable

from django.core.cache import cache
from django.test import Client

from bench import paths
from predictions import caching


def urls() -> list[tuple[str, Callable[[], str] | str]]:
    return [
        ("scorecard /", "/"),
        ("calendar.ics", "/calendar.ics"),
        ("largest speaker's calendar", paths.speaker_calendar_url),
        ("panel's calendar", "/unattributed/calendar.ics"),
        ("largest speaker's page", paths.speaker_page_url(deep=False)),
        ("speaker page deep", paths.speaker_page_url(deep=True)),
        ("API /api/predictions", "/api/predictions"),
        ("API deep cursor", paths.api_url(deep=True)),
    ]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def measure() -> list[tuple[str, float, int]]:
    """(label, peak MB of Python allocations, bytes served) per public URL."""
    client = Client(HTTP_HOST="127.0.0.1")
    found = []
    for label, url in urls():
        address = url() if callable(url) else url
        cache.clear()
        caching.clear_pages()  # the rendered scorecard pages (caching.py's own cache)
        tracemalloc.start()
        response = client.get(address)
        size = paths.body_size(response)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if response.status_code != 200:
            label += f" (status {response.status_code})"
        found.append((label, peak / 1e6, size))
    return found


def lines(size: int) -> list[str]:
    before = peak_rss_mb()
    measured = measure()
    grown = peak_rss_mb() - before
    out = [
        f"{label:<30} {size:>11,} {peak:>8.1f} MB {served / 1000:>10,.0f} KB"
        for label, peak, served in measured
    ]
    out.append(f"{'(process peak RSS grew by)':<30} {size:>11,} {grown:>8.1f} MB")
    return out
