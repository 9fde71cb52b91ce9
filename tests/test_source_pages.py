"""A source's page, /sources/<slug>/, and the list, /sources/ (record_views.py): one
episode's predictions with its own scorecard, per-speaker totals within the source."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from predictions.models import Source
from tests.support import cells

pytestmark = pytest.mark.django_db


def test_a_source_page_scores_only_its_own_predictions(client: Client, scored) -> None:
    """The `scored` dataset's test podcast holds all but grace-1 (the other talk): Ada
    held up 2 (ada-1, ada-2), partially 1, did not 1, unresolvable 1, open 1; Grace's
    grace-2 waits for review; the panel 1 held up, 1 did not, 1 open."""
    html = client.get("/sources/test-podcast/").content.decode()
    assert 'data-total="tracked">10<' in html
    rows = {row[0]: row for row in cells(html, "by-speaker")}
    # Speaker, tracked, held up, partially, did not hold up, unresolvable, pending, ...
    assert rows["Ada Lovelace"][1:7] == ["6", "2", "1", "1", "1", "1"]
    assert rows["Grace Hopper"][1:7] == ["1", "0", "0", "0", "0", "1"]
    assert rows["Unattributed (panel)"][1:7] == ["3", "1", "0", "1", "0", "1"]
    assert scored["grace-1"].claim not in html
    other = client.get("/sources/other-talk/").content.decode()
    assert 'data-total="tracked">1<' in other and scored["grace-1"].claim in other


def test_a_source_page_links_its_calendar_and_the_record(client: Client, scored) -> None:
    html = client.get("/sources/test-podcast/").content.decode()
    assert 'href="/sources/test-podcast/calendar.ics" id="calendar-link"' in html
    assert 'href="/predictions/?source=test-podcast"' in html
    assert client.get("/sources/nope/").status_code == 404


def test_the_source_list_names_each_with_its_count(client: Client, scored) -> None:
    html = client.get("/sources/").content.decode()
    assert 'href="/sources/test-podcast/"' in html and "10 predictions" in html
    assert 'href="/sources/other-talk/"' in html and "1 prediction<" in html


def test_the_source_list_counts_from_the_tally_not_the_predictions(client: Client, scored) -> None:
    """Its counts are the tally's per-source rows (every state summed), so the list never
    reads the predictions table; a source with none says 0."""
    Source.objects.create(slug="empty-one", title="Nothing said", kind="talk", published_on="2026-01-02")
    with CaptureQueriesContext(connection) as seen:
        html = client.get("/sources/").content.decode()
    assert "10 predictions" in html and "1 prediction<" in html and "0 predictions" in html
    assert not [q["sql"] for q in seen.captured_queries if '"predictions_prediction"' in q["sql"]]
