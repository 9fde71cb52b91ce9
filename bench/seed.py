"""Seed a bench database with SQL (`INSERT ... SELECT generate_series`), not through the ORM:
a million predictions in well under a minute.

The shape (issue 11): 200 speakers, 2,000 sources; of the predictions, a tenth unattributed,
30% resolved with their history (flagged, then resolved by a reviewer), 25% due by
2027-01-01 and still open (a fifth of those back from a deferral, with that history), the
rest due later. Text has commas, quotes and cells a spreadsheet would run, so the export's
quoting and CSV-injection rule do real work. Topics (issue 22): 12, every prediction in topic
`id % 12` and every third also in the next one (1.33 a prediction), so the export's topics
columns and a topic's page aggregate a through table of the size they would meet.
"""

from __future__ import annotations

from typing import Any

SPEAKERS = 200
SOURCES = 2000
TOPICS = 12

# i % 20 decides a prediction's fate: 0-5 resolved (30%), 6-9 due (20%), 10 back from a
# deferral and due (5%), 11-19 due after 2027-01-01 (45%).
SEED_SQL = [
    f"""
    INSERT INTO predictions_speaker (name, slug, bio, url)
    SELECT 'Speaker ' || i, 'speaker-' || i, '', ''
    FROM generate_series(1, {SPEAKERS}) i
    """,
    f"""
    INSERT INTO predictions_source (title, slug, kind, url, published_on)
    SELECT 'Episode ' || i || ', "State of AI"', 'source-' || i, 'podcast',
           'https://example.org/episodes/' || i, DATE '2026-01-01' + (i % 30)
    FROM generate_series(1, {SOURCES}) i
    """,
    """
    INSERT INTO predictions_prediction (
        source_id, key, claim, quote, speaker_id, attribution, attribution_note, source_note,
        excerpt, section, source_timestamp, horizon, horizon_as_said, stated_on, due_on,
        resolution_criteria, probability, status, outcome, unresolvable_reason, review_after,
        flagged_at, resolved_at, notified_at, reminded_at, version, created_at, updated_at)
    SELECT
        (SELECT min(id) FROM predictions_source) + i % {sources},
        'p' || i,
        CASE WHEN i % 13 = 0 THEN '=' ELSE '' END
            || 'Prediction ' || i || ': models will, by then, do "task ' || (i % 97) || '" unaided'
            || CASE WHEN i % 50 = 0 THEN ', quantum included.' ELSE '.' END,
        CASE WHEN i % 3 = 0 THEN 'As said on the panel, roughly: task ' || (i % 97) ELSE '' END,
        CASE WHEN i % 10 = 0 THEN NULL ELSE (SELECT min(id) FROM predictions_speaker) + i % {speakers} END,
        CASE WHEN i % 10 = 0 THEN 'unattributed' ELSE 'named' END,
        '', '', '', 'Timeline Predictions', i % 10000,
        (ARRAY['near', 'medium', 'long'])[1 + i % 3], 'this year', DATE '2026-01-31',
        CASE
            WHEN i % 20 < 6 THEN DATE '2026-06-30' + (i % 180)
            WHEN i % 20 = 10 THEN DATE '2026-06-30'
            WHEN i % 20 < 10 THEN DATE '2026-02-01' + (i % 335)
            ELSE DATE '2027-01-02' + (i % 7000)
        END,
        'It visibly happens.',
        CASE WHEN i % 5 = 0 THEN (i % 1001) / 1000.0 END,
        CASE WHEN i % 20 < 6 THEN 'resolved' ELSE 'open' END,
        CASE WHEN i % 20 < 6 THEN (ARRAY['held_up', 'partially', 'did_not_hold_up', 'unresolvable'])[1 + i % 4]
             ELSE '' END,
        CASE WHEN i % 20 < 6 AND i % 4 = 3 THEN 'too_vague' ELSE '' END,
        CASE WHEN i % 20 = 10 THEN DATE '2026-12-15' END,
        CASE WHEN i % 20 < 6 OR i % 20 = 10
             THEN TIMESTAMPTZ '2026-12-31 00:05:00+00' + (i % 86400) * INTERVAL '1 second' END,
        CASE WHEN i % 20 < 6
             THEN TIMESTAMPTZ '2027-01-30 09:00:00+00' + (i % 100000) * INTERVAL '1.001 second' END,
        NULL, NULL,
        CASE WHEN i % 20 < 6 THEN 2 WHEN i % 20 = 10 THEN 3 ELSE 1 END,
        now(), now()
    FROM generate_series(1, {predictions}) i
    """,
    # History, oldest first: every resolved or deferred prediction was flagged by the
    # scheduler; then a reviewer resolved or deferred it.
    """
    INSERT INTO predictions_event (prediction_id, kind, at, actor_id, actor_name, from_status,
        to_status, from_outcome, to_outcome, unresolvable_reason, review_after, note, evidence)
    SELECT id, 'flagged', flagged_at, NULL, 'scheduler', 'open', 'due', '', '', '', NULL,
           'Due on ' || to_char(due_on, 'YYYY-MM-DD') || '; flagged by the run as of 2026-12-31.', '[]'
    FROM predictions_prediction WHERE flagged_at IS NOT NULL ORDER BY flagged_at, id
    """,
    """
    INSERT INTO predictions_event (prediction_id, kind, at, actor_id, actor_name, from_status,
        to_status, from_outcome, to_outcome, unresolvable_reason, review_after, note, evidence)
    SELECT id, CASE WHEN status = 'resolved' THEN 'resolved' ELSE 'deferred' END,
           COALESCE(resolved_at, flagged_at + INTERVAL '2 days'), NULL,
           (ARRAY['alice', 'bob', '=carol'])[1 + id % 3], 'due', status, '', outcome,
           unresolvable_reason, review_after,
           CASE WHEN status = 'resolved' THEN 'It happened, see the links; "mostly".'
                ELSE '-Too early to tell.' END,
           CASE WHEN status = 'resolved'
                THEN jsonb_build_array('https://example.org/evidence/' || id, 'https://example.org/x')
                ELSE '[]' END
    FROM predictions_prediction WHERE flagged_at IS NOT NULL
    ORDER BY COALESCE(resolved_at, flagged_at + INTERVAL '2 days'), id
    """,
    """
    INSERT INTO predictions_topic (slug, name, description)
    SELECT 'topic-' || i, 'Topic ' || i, 'Bench topic ' || i FROM generate_series(0, {topics} - 1) i
    """,
    """
    INSERT INTO predictions_prediction_topics (prediction_id, topic_id)
    SELECT p.id, t.id FROM predictions_prediction p
    JOIN predictions_topic t ON t.slug = 'topic-' || (p.id % {topics})
    UNION ALL
    SELECT p.id, t.id FROM predictions_prediction p
    JOIN predictions_topic t ON t.slug = 'topic-' || ((p.id + 1) % {topics})
    WHERE p.id % 3 = 0
    """,
]


# Indexes that back no constraint are dropped while the rows go in and built afterwards:
# one sorted build each instead of a million insertions (35 s of 55 s at a million rows).
INDEXES_SQL = """
SELECT indexname, indexdef FROM pg_indexes
WHERE tablename IN ('predictions_prediction', 'predictions_event', 'predictions_prediction_topics')
  AND indexname NOT IN (SELECT conname FROM pg_constraint)
"""


def seed(cursor: Any, predictions: int) -> None:
    """Fill an empty, migrated database with `predictions` predictions and their history."""
    sizes = {
        "{predictions}": str(int(predictions)),
        "{speakers}": str(SPEAKERS),
        "{sources}": str(SOURCES),
        "{topics}": str(TOPICS),
    }
    cursor.execute(INDEXES_SQL)
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    for statement in SEED_SQL:
        for token, value in sizes.items():
            statement = statement.replace(token, value)
        # No parameters, so the driver leaves SQL's "%" (modulo) alone.
        cursor.execute(statement)
    for _, definition in indexes:
        cursor.execute(definition)
