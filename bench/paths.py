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
from predictions import caching
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

# Each prediction's topics as a person would read them: one grouped pass over the through
# table, joined to the rows (the slugs and the names, by slug).
TOPICS_CSV = """
    LEFT JOIN (
        SELECT pt.prediction_id, string_agg(t.slug, ' ' ORDER BY t.slug) AS slugs,
               json_agg(t.name ORDER BY t.slug) AS names
        FROM predictions_prediction_topics pt JOIN predictions_topic t ON t.id = pt.topic_id
        GROUP BY pt.prediction_id
    ) tp ON tp.prediction_id = p.id
"""
TOPICS_JSON = """
    LEFT JOIN (
        SELECT pt.prediction_id, json_agg(t.slug ORDER BY t.slug) AS slugs,
               json_agg(t.name ORDER BY t.slug) AS names
        FROM predictions_prediction_topics pt JOIN predictions_topic t ON t.id = pt.topic_id
        GROUP BY pt.prediction_id
    ) tp ON tp.prediction_id = p.id
"""

# The same rows in the same order, every column as stored: no formatting, no quoting rule.
EXPORT_COPY = [
    """
    COPY (
        SELECT p.id, so.slug, p.key, p.claim, sp.slug, sp.name, p.horizon, p.horizon_as_said,
               p.stated_on, p.due_on, p.probability, e.kind, e.at, e.actor_name, e.from_status,
               e.to_status, e.from_outcome, e.to_outcome, e.unresolvable_reason, e.review_after,
               e.note, e.evidence, p.quote, p.section, p.source_timestamp, p.resolution_criteria,
               so.title, so.kind, so.url, so.published_on, p.attribution, p.attribution_note,
               p.excerpt, p.source_note, e.known_on, tp.slugs, tp.names
        FROM predictions_event e
        JOIN predictions_prediction p ON p.id = e.prediction_id
        JOIN predictions_source so ON so.id = p.source_id
        LEFT JOIN predictions_speaker sp ON sp.id = p.speaker_id
    """
    + TOPICS_CSV
    + """
        ORDER BY e.at, e.id
    ) TO STDOUT (FORMAT csv)
    """,
    """
    COPY (
        SELECT p.id, so.slug, p.key, p.claim, sp.slug, sp.name, p.horizon, p.horizon_as_said,
               p.stated_on, p.due_on, p.probability, p.quote, p.section, p.source_timestamp,
               p.resolution_criteria, so.title, so.kind, so.url, so.published_on, p.attribution,
               p.attribution_note, p.excerpt, p.source_note, tp.slugs, tp.names
        FROM predictions_prediction p
        JOIN predictions_source so ON so.id = p.source_id
        LEFT JOIN predictions_speaker sp ON sp.id = p.speaker_id
    """
    + TOPICS_CSV
    + """
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


def body_size(response: object) -> int:
    """The response's size in bytes, a streamed one read chunk by chunk (never joined)."""
    if getattr(response, "streaming", False):
        return sum(len(chunk) for chunk in response.streaming_content)  # type: ignore[attr-defined]
    return len(response.content)  # type: ignore[attr-defined]


def page(url: str | Callable[[], str], *, staff: bool = False, fresh: bool = False) -> Callable[[], int]:
    """A GET through Django's whole stack (middleware, view, template), no HTTP server; the
    page's size in bytes. `fresh`: the page cache emptied first, as after a write. `url` may
    be a function of the database (a deep cursor, the largest speaker), asked once per database."""
    clients: dict[str, Client] = {}
    urls: dict[str, str] = {}

    def get() -> int:
        database = connection.settings_dict["NAME"]
        if database not in clients:  # logged in once per database, outside the timed runs
            clients[database] = Client(HTTP_HOST="127.0.0.1")
            if staff:
                clients[database].force_login(User.objects.get(username="bench"))
            urls[database] = url() if callable(url) else url
        if fresh:  # as after a write: no rendered page anywhere, shared or this process's
            cache.clear()
            caching.clear_pages()
        response = clients[database].get(urls[database])
        if response.status_code != 200:
            raise RuntimeError(f"GET {urls[database]}: {response.status_code}")
        return body_size(response)

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


# --- JSON Lines export -------------------------------------------------------------------

# The same rows in the same order as JSON objects, the way a person would write it: every
# column as stored, json_build_object's own encoding (spaces, its date and number formats).
_JSON_EVENT = (
    """
    COPY (
        SELECT json_build_object(
            'prediction_id', p.id, 'source', so.slug, 'key', p.key, 'claim', p.claim,
            'speaker', sp.slug, 'speaker_name', sp.name, 'horizon', p.horizon,
            'horizon_as_said', p.horizon_as_said, 'stated_on', p.stated_on, 'due_on', p.due_on,
            'probability', p.probability, 'event', e.kind, 'at', e.at, 'actor', e.actor_name,
            'from_status', e.from_status, 'to_status', e.to_status, 'from_outcome', e.from_outcome,
            'to_outcome', e.to_outcome, 'unresolvable_reason', e.unresolvable_reason,
            'review_after', e.review_after, 'note', e.note, 'evidence', e.evidence, 'quote', p.quote,
            'section', p.section, 'source_timestamp', p.source_timestamp,
            'resolution_criteria', p.resolution_criteria, 'source_title', so.title,
            'source_kind', so.kind, 'source_url', so.url, 'source_published_on', so.published_on,
            'attribution', p.attribution, 'attribution_note', p.attribution_note,
            'excerpt', p.excerpt, 'source_note', p.source_note, 'known_on', e.known_on,
            'topics', COALESCE(tp.slugs, '[]'), 'topic_names', COALESCE(tp.names, '[]'))
        FROM predictions_event e
        JOIN predictions_prediction p ON p.id = e.prediction_id
        JOIN predictions_source so ON so.id = p.source_id
        LEFT JOIN predictions_speaker sp ON sp.id = p.speaker_id
"""
    + TOPICS_JSON
    + """
        ORDER BY e.at, e.id
    ) TO STDOUT
"""
)
_JSON_LONELY = (
    """
    COPY (
        SELECT json_build_object(
            'prediction_id', p.id, 'source', so.slug, 'key', p.key, 'claim', p.claim,
            'speaker', sp.slug, 'speaker_name', sp.name, 'horizon', p.horizon,
            'horizon_as_said', p.horizon_as_said, 'stated_on', p.stated_on, 'due_on', p.due_on,
            'probability', p.probability, 'quote', p.quote, 'section', p.section,
            'source_timestamp', p.source_timestamp, 'resolution_criteria', p.resolution_criteria,
            'source_title', so.title, 'source_kind', so.kind, 'source_url', so.url,
            'source_published_on', so.published_on, 'attribution', p.attribution,
            'attribution_note', p.attribution_note, 'excerpt', p.excerpt, 'source_note', p.source_note,
            'topics', COALESCE(tp.slugs, '[]'), 'topic_names', COALESCE(tp.names, '[]'))
        FROM predictions_prediction p
        JOIN predictions_source so ON so.id = p.source_id
        LEFT JOIN predictions_speaker sp ON sp.id = p.speaker_id
"""
    + TOPICS_JSON
    + """
        WHERE NOT EXISTS (SELECT 1 FROM predictions_event e WHERE e.prediction_id = p.id)
        ORDER BY p.id
    ) TO STDOUT
"""
)


def jsonl_ours() -> int:
    counted: list[int] = []
    return _consume(stream_export("jsonl", ExportFilters(), on_rows=counted.append), counted)


def jsonl_orm() -> int:
    counted: list[int] = []
    filters = ExportFilters()
    return _consume(
        stream_export("jsonl", filters, rows=event_rows(filters), on_rows=counted.append), counted
    )


def jsonl_hand() -> int:
    rows = 0
    with connection.cursor() as cursor:
        for sql in (_JSON_EVENT, _JSON_LONELY):
            with cursor.cursor.copy(sql) as copy:
                for _ in copy:
                    rows += 1
    return rows


# --- Calendars, deep pages ---------------------------------------------------------------

_CALENDAR_ROWS = """
    SELECT p.id, p.key, p.claim, p.due_on, p.updated_at, p.status, p.outcome, p.resolution_criteria,
           so.slug, so.title, so.published_on, sp.name
    FROM predictions_prediction p
    JOIN predictions_source so ON so.id = p.source_id
    LEFT JOIN predictions_speaker sp ON sp.id = p.speaker_id
"""


def largest_speaker() -> tuple[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id, s.slug FROM predictions_speaker s JOIN predictions_prediction p ON p.speaker_id = s.id"
            " GROUP BY s.id, s.slug ORDER BY count(*) DESC, s.id LIMIT 1"
        )
        return cursor.fetchone()


def deep_key(where: str, from_end: int) -> tuple[date, int]:
    """The (due_on, id) `from_end` rows before the last of `where` (untimed: an OFFSET walk)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT due_on, id FROM predictions_prediction WHERE {where}"
            " ORDER BY due_on DESC, id DESC OFFSET %s LIMIT 1",
            [from_end],
        )
        found = cursor.fetchone()
        if found is None:  # fewer rows than that: the first
            cursor.execute(
                f"SELECT due_on, id FROM predictions_prediction WHERE {where} ORDER BY due_on, id LIMIT 1"
            )
            found = cursor.fetchone()
        return found


def calendar_hand(speaker: bool) -> Callable[[], int]:
    """The calendar's rows by hand: the same SELECT and joins, fetched; no iCalendar text."""

    def run() -> int:
        from django.utils import timezone

        from predictions.calendars import site_events

        with connection.cursor() as cursor:
            if speaker:
                cursor.execute(
                    _CALENDAR_ROWS + " WHERE p.speaker_id = %s ORDER BY p.due_on, p.id",
                    [largest_speaker()[0]],
                )
            else:
                cursor.execute(
                    _CALENDAR_ROWS + " WHERE p.due_on >= %s ORDER BY p.due_on, p.id LIMIT %s",
                    [timezone.localdate(), site_events()],
                )
            return len(cursor.fetchall())

    return run


def speaker_page_url(deep: bool) -> Callable[[], str]:
    def url() -> str:
        from predictions.keyset import encode

        speaker_id, slug = largest_speaker()
        if not deep:
            return f"/speakers/{slug}/"
        return f"/speakers/{slug}/?after={encode(deep_key(f'speaker_id = {speaker_id}', 60))}"

    return url


def speaker_page_hand() -> int:
    """The deep page's rows and count by hand, keyset on the speaker's index."""
    speaker_id, _ = largest_speaker()
    day, pk = deep_key(f"speaker_id = {speaker_id}", 60)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.*, so.* FROM predictions_prediction p JOIN predictions_source so ON so.id = p.source_id"
            " WHERE p.speaker_id = %s AND (p.due_on, p.id) > (%s, %s) ORDER BY p.due_on, p.id LIMIT 51",
            [speaker_id, day, pk],
        )
        rows = len(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM predictions_prediction WHERE speaker_id = %s", [speaker_id])
        cursor.fetchone()
        return rows


def api_url(deep: bool) -> Callable[[], str]:
    def url() -> str:
        from predictions.keyset import encode

        return f"/api/predictions?cursor={encode(deep_key('true', 100))}" if deep else "/api/predictions"

    return url


def api_hand() -> int:
    """The deep API page by hand: its 51 rows with speaker and source, and the total."""
    day, pk = deep_key("true", 100)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.*, so.*, sp.* FROM predictions_prediction p"
            " JOIN predictions_source so ON so.id = p.source_id"
            " LEFT JOIN predictions_speaker sp ON sp.id = p.speaker_id"
            " WHERE (p.due_on, p.id) > (%s, %s) ORDER BY p.due_on, p.id LIMIT 51",
            [day, pk],
        )
        rows = len(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM predictions_prediction")
        cursor.fetchone()
        return rows


def speaker_calendar_url() -> str:
    return f"/speakers/{largest_speaker()[1]}/calendar.ics"


# The export rows, the two through COPY first (BENCH_ONLY=export-copy runs only those).
EXPORT_LABELS = ("CSV export", "JSONL export", "CSV export, ORM path", "JSONL export, ORM path (before)")
ADMIN = "/admin/predictions/prediction/"
# (label, ours, hand-written or None, what the rows column counts). The scorecard's and the
# queue's hand-written SQL is bench/scorecard_admin.py's, which measures them before and
# after the tally in more ways.
READ_ONLY: list[tuple[str, Callable[[], int], Callable[[], int] | None, str]] = [
    ("CSV export", export_ours, export_hand, "rows"),
    ("CSV export, ORM path", export_orm, export_hand, "rows"),
    ("JSONL export", jsonl_ours, jsonl_hand, "rows"),
    ("JSONL export, ORM path (before)", jsonl_orm, jsonl_hand, "rows"),
    ("calendar.ics, after a write", page("/calendar.ics", fresh=True), calendar_hand(speaker=False), "bytes"),
    ("calendar.ics, cached", page("/calendar.ics"), calendar_hand(speaker=False), "bytes"),
    (
        "largest speaker's calendar",
        page(speaker_calendar_url, fresh=True),
        calendar_hand(speaker=True),
        "bytes",
    ),
    ("speaker page deep (?after=)", page(speaker_page_url(deep=True)), speaker_page_hand, "bytes"),
    (
        "speaker page deep / page 1",
        page(speaker_page_url(deep=True)),
        page(speaker_page_url(deep=False)),
        "bytes",
    ),
    ("API deep cursor", page(api_url(deep=True)), api_hand, "bytes"),
    ("API deep cursor / page 1", page(api_url(deep=True)), page(api_url(deep=False)), "bytes"),
    ("scorecard GET / after a write", page("/", fresh=True), statements(HAND_SCORECARD), "bytes"),
    ("scorecard GET / cached", page("/"), None, "bytes"),
    ("trivial page (schema.json)", page("/export/schema.json"), None, "bytes"),
    # Issue 21's bar for the first view after a write (within 3x a trivial page), and the
    # warm view beside the same trivial page: ratios of the two pages, both through Django.
    ("scorecard after a write / trivial", page("/", fresh=True), page("/export/schema.json"), "bytes"),
    ("scorecard cached / trivial", page("/"), page("/export/schema.json"), "bytes"),
    ("admin queue ?status=all", page(f"{ADMIN}?status=all", staff=True), statements(HAND_QUEUE_ALL), "bytes"),
    (
        "admin search q=quantum",
        page(f"{ADMIN}?status=all&q=quantum", staff=True),
        statements(HAND_SEARCH),
        "bytes",
    ),
]
