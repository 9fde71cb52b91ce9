"""Stream the resolution history as CSV or JSON Lines (rows: export_schema.ExportRow).

`export_stream.stream_export()` is the one streaming path: the download views, the admin
action, the `export_resolutions` command and `make bench` all consume it, so it can be
measured and swapped in one place; the rows and their text are built here. It never holds the file: rows come from the database through
`QuerySet.iterator(chunk_size=...)` (a server-side cursor on PostgreSQL, chunked fetches on
SQLite) as plain tuples from `values_list()`, whose joins fetch the prediction, speaker and
source in the same query (what select_related would do, without building model instances),
and leave as text one chunk at a time.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import CharField, Exists, Expression, F, OuterRef, Q, QuerySet

from .actors import public_download_name
from .days import start_of
from .export_schema import (
    CSV_RISKY_FIRST,
    EXPORT_COLUMNS,
    EXPORT_FIELDS,
    EXPORT_SCHEMA_VERSION,
    TOPIC_NAMES_PATH,
    TOPICS_PATH,
)
from .filtering import FilterError, Filters
from .models import Event, Prediction, Topic

FORMATS = ("csv", "jsonl")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
# What a public download shows instead of a reviewer's user name.
CHUNK_SIZE = 2000


# The export's filters are the service's filters (filtering.py).
ExportFilters = Filters


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise FilterError("format", fmt, f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    return fmt


def _prediction_q(filters: ExportFilters, prefix: str = "") -> Q:
    return filters.q(prefix)


def _events(filters: ExportFilters) -> QuerySet:
    events = Event.objects.filter(_prediction_q(filters, "prediction__"))
    # The calendar's first and last days bound nothing (and their midnight, moved to UTC or
    # a day on, falls outside what a datetime can hold): until=9999-12-31 means "to the end".
    if filters.since and filters.since > date.min + timedelta(days=1):
        events = events.filter(at__gte=start_of(filters.since))
    if filters.until and filters.until < date.max - timedelta(days=1):
        events = events.filter(at__lt=start_of(filters.until + timedelta(days=1)))
    return events


def _without_history(filters: ExportFilters) -> QuerySet:
    return Prediction.objects.filter(_prediction_q(filters)).filter(
        ~Exists(Event.objects.filter(prediction=OuterRef("pk")))
    )


class TopicsOf(Expression):
    """A prediction's topics as a JSON list of [slug, name] pairs in no particular order (this
    path sorts them in Python), by a correlated subquery over the through table (a join
    would repeat the row once per topic); NULL when it has none."""

    output_field = CharField()

    def __init__(self, prediction: Any) -> None:
        super().__init__()
        self.prediction = prediction

    def get_source_expressions(self) -> list[Any]:
        return [self.prediction]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.prediction,) = exprs

    def as_sql(self, compiler: Any, conn: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.prediction)
        quote = conn.ops.quote_name
        through = quote(Prediction.topics.through._meta.db_table)
        pair = "(export_topic.slug, export_topic.name)"
        aggregate = (
            f"json_agg(json_build_array{pair})::text"
            if conn.vendor == "postgresql"
            else f"json_group_array(json_array{pair})"
        )
        return (
            f"(SELECT {aggregate} FROM {through} export_link"
            f" JOIN {quote(Topic._meta.db_table)} export_topic ON export_topic.id = export_link.topic_id"
            f" WHERE export_link.prediction_id = {sql})"
        ), list(params)


PREDICTION_PREFIX = "prediction__"
# The topics' two columns are read from one annotation (TopicsOf's pairs) in place of their
# paths: the slugs' column carries it, the names' is filled in from it (_row).
TOPICS_ALIAS = "export_topics"
EVENT_PATHS = tuple(
    TOPICS_ALIAS if path == TOPICS_PATH else path
    for path in EXPORT_COLUMNS.values()
    if path is not None and path != TOPIC_NAMES_PATH
)
# A prediction without history: its own columns, and the event's as empty as ExportRow has them.
PREDICTION_PATHS = tuple(
    path.removeprefix(PREDICTION_PREFIX)
    for path in EVENT_PATHS
    if path.startswith(PREDICTION_PREFIX) or path == TOPICS_ALIAS
)
EMPTY_EVENT: dict[str, Any] = {
    "kind": None,
    "at": None,
    "review_after": None,
    "known_on": None,
    "evidence": [],
}
ACTOR_AT = EXPORT_FIELDS.index("actor")
SPEAKER_NAME_AT = EXPORT_FIELDS.index("speaker_name")  # NULL through the join when unattributed
TOPICS_AT = EXPORT_FIELDS.index("topics")
TOPIC_NAMES_AT = EXPORT_FIELDS.index("topic_names")
assert TOPIC_NAMES_AT == TOPICS_AT + 1, "the names' column follows the slugs' (_row fills it in)"


def event_rows(filters: ExportFilters, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[Any, ...]]:
    """Database tuples in EVENT_PATHS order: every matching event oldest first, then one per
    prediction without any."""
    events = _events(filters).annotate(**{TOPICS_ALIAS: TopicsOf(F("prediction_id"))})
    yield from events.order_by("at", "id").values_list(*EVENT_PATHS).iterator(chunk_size=chunk_size)
    if filters.has_date_range:
        return  # a prediction without history has no date to fall in the range
    lonely = (
        _without_history(filters)
        .annotate(**{TOPICS_ALIAS: TopicsOf(F("id"))})
        .order_by("id")
        .values_list(*PREDICTION_PATHS)
    )
    # Where each EVENT_PATHS value comes from: the prediction tuple's index, or a constant.
    layout = [
        PREDICTION_PATHS.index(path.removeprefix(PREDICTION_PREFIX))
        if path.startswith(PREDICTION_PREFIX) or path == TOPICS_ALIAS
        else EMPTY_EVENT.get(path, "")
        for path in EVENT_PATHS
    ]
    for values in lonely.iterator(chunk_size=chunk_size):
        yield tuple(values[spot] if isinstance(spot, int) else spot for spot in layout)


def _row(values: tuple[Any, ...], public: bool) -> tuple[Any, ...]:
    """A database tuple in EXPORT_FIELDS order (Python values)."""
    row = [EXPORT_SCHEMA_VERSION, *values]
    if row[SPEAKER_NAME_AT] is None:
        row[SPEAKER_NAME_AT] = ""
    # By slug in code point order, as export_sql sorts them (COLLATE "C").
    pairs = sorted(json.loads(row[TOPICS_AT])) if row[TOPICS_AT] else []
    row[TOPICS_AT] = [slug for slug, _ in pairs]
    row.insert(TOPIC_NAMES_AT, [name for _, name in pairs])
    if public:
        row[ACTOR_AT] = public_download_name(row[ACTOR_AT])
    return tuple(row)


def _json_value(value: Any) -> Any:
    if isinstance(value, date | datetime):  # datetime is a date: one isoformat for both
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


_json_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


# A cell's text by the exact type the database driver returns: one dict lookup per cell
# instead of a chain of isinstance() calls (this loop runs a million times per export).
_CSV_TEXT: dict[type, Callable[[Any], str]] = {
    str: str,
    int: str,
    type(None): lambda _: "",
    list: " ".join,
    date: date.isoformat,
    datetime: datetime.isoformat,
    Decimal: str,
}
_RISKY_FIRST = frozenset(CSV_RISKY_FIRST)


def _csv_cells(row: tuple[Any, ...]) -> list[str]:
    """The row's CSV cells; a cell a spreadsheet would evaluate gets one leading quote."""
    cells = [_CSV_TEXT.get(value.__class__, str)(value) for value in row]
    names = row[TOPIC_NAMES_AT]
    cells[TOPIC_NAMES_AT] = _json_text(names) if names else ""  # a name may hold a space
    # cell[:1] is "" for an empty cell, which is not in the set.
    return [("'" + cell) if cell[:1] in _RISKY_FIRST else cell for cell in cells]


def stream_rows(  # noqa: PLR0913 - keyword-only options of the streaming path
    fmt: str,
    filters: ExportFilters | None = None,
    *,
    public: bool = False,
    chunk_size: int = CHUNK_SIZE,
    rows: Iterable[tuple[Any, ...]] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The export as text chunks of up to `chunk_size` rows (CSV starts with its header),
    each row turned into text here, in Python (`export_stream.stream_export` is the entry
    point, which sends CSV on PostgreSQL through COPY instead).

    `public` replaces reviewers' user names with "reviewer"; `rows` substitutes the
    database tuples (event_rows() by default); `on_rows(n)` is told how many rows each
    chunk held (the command's progress bar).
    """
    check_format(fmt)
    source_rows = event_rows(filters or ExportFilters(), chunk_size) if rows is None else rows
    buffer = io.StringIO()
    # The default "\r\n" terminator (RFC 4180) also makes the writer quote a cell holding a
    # bare "\r"; with "\n" it would not, and a reader would split the row there.
    writer = csv.writer(buffer)
    if fmt == "csv":
        writer.writerow(EXPORT_FIELDS)
    pending = 0
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_value).encode
    for values in source_rows:
        row = _row(values, public)
        if fmt == "csv":
            writer.writerow(_csv_cells(row))
        else:
            buffer.write(dumps(dict(zip(EXPORT_FIELDS, row, strict=True))))
            buffer.write("\n")
        pending += 1
        if pending >= chunk_size:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if on_rows:
                on_rows(pending)
            pending = 0
    tail = buffer.getvalue()
    if tail:
        yield tail
    if on_rows and pending:
        on_rows(pending)


def count_rows(filters: ExportFilters) -> int:
    """How many rows stream_export() will produce (for a progress bar's total)."""
    total = _events(filters).count()
    if not filters.has_date_range:
        total += _without_history(filters).count()
    return total
