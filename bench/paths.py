"""What `make bench` measures: each path as the project runs it ("ours"), and the SQL a person
would write by hand to do the same work ("hand"), each returning how many rows it did.

A path without hand-written SQL has None there and prints "n/a".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client

from bench.scorecard_admin import HAND_QUEUE_ALL, HAND_SCORECARD, HAND_SEARCH
from predictions.export_stream import stream_export
from predictions.exporting import ExportFilters, event_rows
from predictions.tasks import flag_due

# The seed's due dates are spread around this day (bench/seed.py).
AS_OF = date(2027, 1, 1)

# --- Flagging ----------------------------------------------------------------------------

FLAG_SQL = """
WITH flagged AS (
    UPDATE predictions_prediction
    SET status = 'due', flagged_at = now(), notified_at = NULL, reminded_at = NULL,
        version = version + 1, updated_at = now()
    WHERE status = 'open' AND due_on <= %(as_of)s AND (review_after IS NULL OR review_after <= %(as_of)s)
    RETURNING id, due_on, review_after
)
INSERT INTO predictions_event (prediction_id, kind, at, actor_id, actor_name, from_status, to_status,
    from_outcome, to_outcome, unresolvable_reason, review_after, note, evidence)
SELECT id, 'flagged', now(), NULL, 'scheduler', 'open', 'due', '', '', '', NULL,
       CASE WHEN review_after > due_on
            THEN 'Back from deferral: review after ' || to_char(review_after, 'YYYY-MM-DD')
                 || ' (due on ' || to_char(due_on, 'YYYY-MM-DD') || ').'
            ELSE 'Due on ' || to_char(due_on, 'YYYY-MM-DD') || '; flagged by the run as of '
                 || %(as_of_text)s || '.'
       END,
       '[]'
FROM flagged
"""


def flag_ours() -> int:
    return flag_due(AS_OF)


def flag_hand() -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FLAG_SQL, {"as_of": AS_OF, "as_of_text": AS_OF.isoformat()})
        return cursor.rowcount


# --- CSV export --------------------------------------------------------------------------

# The same rows in the same order, every column as stored: no formatting, no quoting rule.
EXPORT_COPY = [
    """
    COPY (
        SELECT p.id, so.slug, p.key, p.claim, sp.slug, sp.name, p.horizon, p.horizon_as_said,
               p.stated_on, p.due_on, p.probability, e.kind, e.at, e.actor_name, e.from_status,
               e.to_status, e.from_outcome, e.to_outcome, e.unresolvable_reason, e.review_after,
               e.note, e.evidence, p.quote, p.section, p.source_timestamp, p.resolution_criteria,
               so.title, so.kind, so.url, so.published_on, p.attribution, p.attribution_note,
               p.excerpt, p.source_note
        FROM predictions_event e
        JOIN predictions_prediction p ON p.id = e.prediction_id
        JOIN predictions_source so ON so.id = p.source_id
        LEFT JOIN predictions_speaker sp ON sp.id = p.speaker_id
        ORDER BY e.at, e.id
    ) TO STDOUT (FORMAT csv)
    """,
    """
    COPY (
        SELECT p.id, so.slug, p.key, p.claim, sp.slug, sp.name, p.horizon, p.horizon_as_said,
               p.stated_on, p.due_on, p.probability, p.quote, p.section, p.source_timestamp,
               p.resolution_criteria, so.title, so.kind, so.url, so.published_on, p.attribution,
               p.attribution_note, p.excerpt, p.source_note
        FROM predictions_prediction p
        JOIN predictions_source so ON so.id = p.source_id
        LEFT JOIN predictions_speaker sp ON sp.id = p.speaker_id
        WHERE NOT EXISTS (SELECT 1 FROM predictions_event e WHERE e.prediction_id = p.id)
        ORDER BY p.id
    ) TO STDOUT (FORMAT csv)
    """,
]


def _consume(chunks: object, counted: list[int]) -> int:
    size = 0
    for chunk in chunks:  # type: ignore[attr-defined]
        size += len(chunk)
    return sum(counted)


def export_ours() -> int:
    counted: list[int] = []
    return _consume(stream_export("csv", ExportFilters(), on_rows=counted.append), counted)


def export_orm() -> int:
    counted: list[int] = []
    filters = ExportFilters()
    return _consume(stream_export("csv", filters, rows=event_rows(filters), on_rows=counted.append), counted)


def export_hand() -> int:
    rows = 0
    with connection.cursor() as cursor:
        for sql in EXPORT_COPY:
            with cursor.cursor.copy(sql) as copy:
                for _ in copy:
                    rows += 1
    return rows


# --- Pages -------------------------------------------------------------------------------


def page(url: str, *, staff: bool = False, fresh: bool = False) -> Callable[[], int]:
    """A GET through Django's whole stack (middleware, view, template), no HTTP server; the
    page's size in bytes. `fresh`: the page cache emptied first, as after a write."""
    clients: dict[str, Client] = {}

    def get() -> int:
        database = connection.settings_dict["NAME"]
        if database not in clients:  # logged in once per database, outside the timed runs
            clients[database] = Client(HTTP_HOST="127.0.0.1")
            if staff:
                clients[database].force_login(User.objects.get(username="bench"))
        if fresh:
            cache.clear()
        response = clients[database].get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
        return len(response.content)

    return get


def statements(sql: list[str]) -> Callable[[], int]:
    """Hand-written SQL, each statement's rows fetched; how many rows came back."""

    def run() -> int:
        rows = 0
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)
                rows += len(cursor.fetchall())
        return rows

    return run


ADMIN = "/admin/predictions/prediction/"
# (label, ours, hand-written or None, what the rows column counts). The scorecard's and the
# queue's hand-written SQL is bench/scorecard_admin.py's, which measures them before and
# after the tally in more ways.
READ_ONLY: list[tuple[str, Callable[[], int], Callable[[], int] | None, str]] = [
    ("CSV export", export_ours, export_hand, "rows"),
    ("CSV export, ORM path", export_orm, export_hand, "rows"),
    ("scorecard GET / after a write", page("/", fresh=True), statements(HAND_SCORECARD), "bytes"),
    ("scorecard GET / cached", page("/"), None, "bytes"),
    ("trivial page (schema.json)", page("/export/schema.json"), None, "bytes"),
    ("admin queue ?status=all", page(f"{ADMIN}?status=all", staff=True), statements(HAND_QUEUE_ALL), "bytes"),
    (
        "admin search q=quantum",
        page(f"{ADMIN}?status=all&q=quantum", staff=True),
        statements(HAND_SEARCH),
        "bytes",
    ),
]
