"""The scorecard's "Recently resolved": the latest outcomes by when they became known (known
on), then by when they were recorded, each saying "known on" and, only where it is another
day, "recorded on"."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from predictions import caching
from predictions.models import Outcome, Prediction, Status
from predictions.scorecard import recently_resolved
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_process() -> None:
    caching.local.clear()


def resolved(make_prediction, known_on: date | None, recorded: datetime, claim: str):
    return make_prediction(
        claim=claim, status=Status.RESOLVED, outcome=Outcome.HELD_UP, known_on=known_on, resolved_at=recorded
    )


def listed(html: str) -> list[tuple[str, str]]:
    section = re.search(r'<ol class="dates" id="recently-resolved">(.*?)</ol>', html, re.S).group(1)
    return [
        (claim, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", meta)).strip())
        for claim, meta in re.findall(
            r'<a href="[^"]*">([^<]*)</a>\s*<span class="meta">(.*?)</span>', section, re.S
        )
    ]


def test_the_latest_known_come_first_recorded_time_breaking_ties(make_prediction, speaker) -> None:
    # Recorded in the order A, D, C, B, E; known in the order D(none), A, C, B = E.
    resolved(make_prediction, date(2026, 3, 1), datetime(2026, 6, 10, 9, tzinfo=UTC), "A")
    resolved(make_prediction, date(2026, 5, 1), datetime(2026, 5, 2, 9, tzinfo=UTC), "B")
    resolved(make_prediction, date(2026, 4, 1), datetime(2026, 4, 1, 18, tzinfo=UTC), "C")
    # Recorded before outcomes said when they became known: last, with its recorded day only.
    resolved(make_prediction, None, datetime(2026, 7, 1, 9, tzinfo=UTC), "D")
    resolved(make_prediction, date(2026, 5, 1), datetime(2026, 5, 5, 9, tzinfo=UTC), "E")
    html = Client().get("/").content.decode()
    panel = "Unattributed (panel)"
    assert listed(html) == [
        ("E", f"{panel} · known on 1 May 2026 · recorded on 5 May 2026"),
        ("B", f"{panel} · known on 1 May 2026 · recorded on 2 May 2026"),
        ("C", f"{panel} · known on 1 Apr 2026"),
        ("A", f"{panel} · known on 1 Mar 2026 · recorded on 10 Jun 2026"),
        ("D", f"{panel} · recorded on 1 Jul 2026"),
    ]


def test_recorded_on_is_the_day_in_the_sites_time_zone(make_prediction, settings) -> None:
    # 23:30 UTC on 1 April is 2 April in Paris: known on 1 April, recorded on another day.
    settings.TIME_ZONE = "Europe/Paris"
    resolved(make_prediction, date(2026, 4, 1), datetime(2026, 4, 1, 23, 30, tzinfo=UTC), "Late")
    resolved(make_prediction, date(2026, 4, 2), datetime(2026, 4, 1, 23, 30, tzinfo=UTC), "Same")
    assert listed(Client().get("/").content.decode()) == [
        ("Same", "Unattributed (panel) · known on 2 Apr 2026"),
        ("Late", "Unattributed (panel) · known on 1 Apr 2026 · recorded on 2 Apr 2026"),
    ]


@requires_postgres
def test_on_postgresql_both_parts_walk_the_index_backwards_without_a_sort(make_prediction) -> None:
    resolved(make_prediction, date(2026, 3, 1), datetime(2026, 6, 10, 9, tzinfo=UTC), "Known")
    resolved(make_prediction, None, datetime(2026, 7, 1, 9, tzinfo=UTC), "Before known on")
    with CaptureQueriesContext(connection) as captured:
        recently_resolved(Prediction.objects.all())
    assert len(captured) == 2  # the known ones, then (fewer than six) the others
    for query in captured.captured_queries:
        # As tests/test_keyset.py's plan(): on a table this small, whether the index can serve it.
        with transaction.atomic(), connection.cursor() as cursor:
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute("EXPLAIN " + query["sql"])
            text = "\n".join(row[0] for row in cursor.fetchall())
        assert "Index Scan Backward using prediction_recently_known" in text, text
        assert "Sort" not in text, text
