r"""The CSV export on PostgreSQL: `COPY (SELECT ...) TO STDOUT`, its cells written by the database.

The ORM path (`exporting.stream_rows`) turns every database value into text in Python,
which is most of its time at a million rows. Here the SELECT already returns each cell as
the text the ORM path would write, and PostgreSQL's own CSV writer quotes it; Python only
turns COPY's "\n" line ends into csv.writer's "\r\n" and hands the text on in chunks.

The SELECT is the ORM path's own querysets (`exporting._events`, `_without_history`: the same
filters, joins and order), with one annotation per `export_schema.EXPORT_COLUMNS` entry, each
formatted by the type of the model field its path ends at:

- text and numbers: as stored (`str()` of an int or Decimal is PostgreSQL's `::text`);
- dates `YYYY-MM-DD`; timestamps as Python's `isoformat()` of a UTC datetime
  (`2027-01-05T09:30:00+00:00`, `.ffffff` only when the microseconds are not zero);
- evidence: the JSON list's links joined by single spaces;
- topics: an ARRAY of a correlated subquery over the through table, the slugs
  joined by single spaces and the names as a JSON list, both ordered by slug `COLLATE "C"`
  (code point order, Python's `sorted()`, whatever the database's collation);
- every cell that starts with one of `export_schema.CSV_RISKY_FIRST` gets one leading quote
  (the CSV-injection rule), and an empty cell is NULL, which COPY writes unquoted, as
  csv.writer writes "" (COPY would quote an empty string).

PostgreSQL's CSV quoting (a cell holding the delimiter, a quote, "\r" or "\n" is quoted,
quotes doubled) is csv.writer's default with a "\r\n" terminator, so the bytes are the same;
tests/test_export_copy.py compares the two paths byte for byte.

JSON Lines on PostgreSQL (`copy_jsonl`) comes the same way: each line is `row_to_json` over
the same values named as the export's fields, in its order, which is the ORM path's
encoding (`json.dumps(..., ensure_ascii=False, separators=(",", ":"))`): compact, a text
escaped as `to_json` escapes (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, other controls as
lowercase `\u00XX`, everything else as itself), as Python does; integers bare, decimals,
dates and times given to it as text formatted as above, evidence and topics as compact JSON
text cast to json, NULL as `null`. COPY writes it in CSV format with a quote and a delimiter
that JSON text never holds raw, so each line arrives exactly as written (the text format
would double every backslash); tests/test_export_jsonl_copy.py compares the two paths byte
for byte.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.db.models import CharField, Expression, F, Field, Model, QuerySet, Value
from django.db.models.expressions import Case, When
from django.db.models.functions import Coalesce

from .actors import REDACTED_REVIEWER, ROLES
from .export_schema import (
    CSV_RISKY_FIRST,
    EXPORT_COLUMNS,
    EXPORT_FIELDS,
    EXPORT_SCHEMA_VERSION,
    TOPIC_NAMES_PATH,
    TOPICS_PATH,
)
from .exporting import (
    EMPTY_EVENT,
    PREDICTION_PREFIX,
    ExportFilters,
    _events,
    _without_history,
)
from .models import Event, Prediction, Topic

# First characters as code points: ascii() and an integer list are the cheapest test
# PostgreSQL has (a third of left(v, 1) IN (...)), and keep a tab or a carriage return out
# of the SQL text. ascii('') is 0, and no text holds a NUL.
_RISKY = ", ".join(str(ord(c)) for c in CSV_RISKY_FIRST)
_QUOTE = f"chr({ord(chr(39))})"
_UTC = "{v} AT TIME ZONE 'UTC'"
# How a value of each kind of field becomes its cell's text; {v} is the column.
_AS_TEXT: dict[str, str] = {
    "DateField": "to_char({v}::timestamp, 'YYYY-MM-DD')",
    "DateTimeField": (
        f"to_char({_UTC}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN date_trunc('second', {{v}}) = {{v}} THEN '' ELSE to_char({_UTC}, '.US') END"
        " || '+00:00'"
    ),
    # Evidence is a list of a few links: up to three are read with ->> (what
    # jsonb_array_elements_text returns for each), a longer list through the set-returning
    # function, which costs more per row than all the other cells together.
    "JSONField": (
        "CASE jsonb_array_length({v}) WHEN 0 THEN '' WHEN 1 THEN {v} ->> 0"
        " WHEN 2 THEN ({v} ->> 0) || ' ' || ({v} ->> 1)"
        " WHEN 3 THEN ({v} ->> 0) || ' ' || ({v} ->> 1) || ' ' || ({v} ->> 2)"
        " ELSE array_to_string(ARRAY(SELECT jsonb_array_elements_text({v})), ' ') END"
    ),
    "DecimalField": "({v})::text",
    "IntegerField": "({v})::text",
    "PositiveIntegerField": "({v})::text",
    "BigIntegerField": "({v})::text",
    "AutoField": "({v})::text",
    "BigAutoField": "({v})::text",
}
# Dates and times start with a digit: the injection rule can never apply to them.
_NEVER_RISKY = frozenset({"DateField", "DateTimeField"})


class Cell(Expression):
    """One CSV cell as text: `expression` formatted per `kind`, neutralised, '' as NULL."""

    output_field = CharField()

    def __init__(self, expression: Any, kind: str) -> None:
        super().__init__()
        self.expression = expression
        self.kind = kind

    def get_source_expressions(self) -> list[Any]:
        return [self.expression]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.expression,) = exprs

    def as_sql(self, compiler: Any, conn: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.expression)
        text = _AS_TEXT.get(self.kind, "{v}")
        uses = text.count("{v}")
        text = text.format(v=sql)
        if self.kind in _NEVER_RISKY:
            return f"NULLIF({text}, '')", list(params) * uses
        # One CASE for the injection rule and for '' as NULL.
        text = (
            f"CASE WHEN ascii({text}) IN ({_RISKY}) THEN {_QUOTE} || {text}"
            f" WHEN {text} = '' THEN NULL ELSE {text} END"
        )
        return text, list(params) * uses * 4


def _field(model: type[Model], path: str) -> Field:
    """The model field an ORM path (`prediction__source__slug`) ends at."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def _kind(path: str) -> str:
    return _field(Event, path).get_internal_type()


def _actor(public: bool) -> Any:
    if not public:
        return Cell(F("actor_name"), "CharField")
    # actors.public_download_name in SQL: a person's name becomes "reviewer"; a role and an
    # empty actor stay as they are (neither needs the injection rule).
    return Case(
        When(actor_name__in=[*ROLES, ""], then=Cell(F("actor_name"), "CharField")),
        default=Value(REDACTED_REVIEWER),
        output_field=CharField(),
    )


# The topics, aggregated once per prediction in one grouped pass over the through table and
# joined to the rows (a correlated subquery per row and column cost 4 s a column at a million
# rows; the grouped pass 3 s for both). Ordered by slug COLLATE "C", code point order: the ORM
# path's sorted(), whatever the database's collation. {order} is that ORDER BY.
_BY_SLUG = 'ORDER BY export_topic.slug COLLATE "C"'
# The CSV's: the slugs joined by single spaces, with the injection rule; the names as a JSON
# list (array_to_json's compact text, the JSON Lines' own); NULL for none.
_CSV_TOPICS = (
    f"string_agg(export_topic.slug, ' ' {_BY_SLUG})",
    f"array_to_json(array_agg(export_topic.name {_BY_SLUG}))::text",
)
_CSV_TOPIC_COLUMNS = {
    "topics": f"CASE WHEN ascii(tp.slugs) IN ({_RISKY}) THEN {_QUOTE} || tp.slugs ELSE tp.slugs END",
    "topic_names": "tp.names",
}
# The JSON Lines': text arrays, which row_to_json writes as compact JSON lists ([] for none).
_JSON_TOPICS = (f"array_agg(export_topic.slug {_BY_SLUG})", f"array_agg(export_topic.name {_BY_SLUG})")
_JSON_TOPIC_COLUMNS = {"topics": "COALESCE(tp.slugs, '{}')", "topic_names": "COALESCE(tp.names, '{}')"}


def _grouped_topics(filters: ExportFilters, aggregates: tuple[str, str]) -> tuple[str, tuple[Any, ...]]:
    """Each prediction's topics (slugs, names) in one row; only the selection's when the
    filters choose predictions, so a small download does not group the whole table."""
    through = Prediction.topics.through._meta.db_table
    sql = (
        f"SELECT export_link.prediction_id, {aggregates[0]} AS slugs, {aggregates[1]} AS names"
        f' FROM "{through}" export_link'
        f' JOIN "{Topic._meta.db_table}" export_topic ON export_topic.id = export_link.topic_id'
    )
    params: tuple[Any, ...] = ()
    chosen = filters.q()
    if chosen:
        selection, params = Prediction.objects.filter(chosen).values("id").query.sql_with_params()
        sql += f" WHERE export_link.prediction_id IN ({selection})"
    return sql + " GROUP BY export_link.prediction_id", tuple(params)


@dataclass(frozen=True)
class _Rows:
    """One of the export's two SELECTs: its queryset, the prediction's id and the order."""

    queryset: QuerySet
    prediction: str
    order: tuple[str, ...]


def _joined(
    rows: _Rows,
    values: dict[str, Any],
    topics: tuple[tuple[str, str], dict[str, str]],
    filters: ExportFilters,
) -> tuple[list[str], str, tuple[Any, ...]]:
    """The outer SELECT's columns in EXPORT_FIELDS order and its FROM ... ORDER BY: the rows'
    values (aliases c0, c1, ...: a value named like a model field, "note", would shadow the
    column), the prediction's id and the order keys, LEFT JOINed to its grouped topics."""
    aggregates, columns = topics
    aliases = {f"c{i}": values[name] for i, name in enumerate(EXPORT_FIELDS) if name in values}
    keys = {f"export_k{i}": F(key) for i, key in enumerate(rows.order)}
    inner = (
        rows.queryset.order_by()
        .annotate(**aliases, export_pid=F(rows.prediction), **keys)
        .values_list(*aliases, "export_pid", *keys)
    )
    sql, params = inner.query.sql_with_params()
    grouped, grouped_params = _grouped_topics(filters, aggregates)
    outer = [f'x."c{i}"' if name in values else columns[name] for i, name in enumerate(EXPORT_FIELDS)]
    order = ", ".join(f"x.{key}" for key in keys)
    from_ = (
        f"FROM ({sql}) AS x LEFT JOIN ({grouped}) AS tp ON tp.prediction_id = x.export_pid ORDER BY {order}"
    )
    return outer, from_, tuple(params) + grouped_params


def _event_cells(public: bool) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for name, path in EXPORT_COLUMNS.items():
        if path is None:
            cells[name] = Value(str(EXPORT_SCHEMA_VERSION))
        elif path in (TOPICS_PATH, TOPIC_NAMES_PATH):
            continue  # joined (_joined)
        elif name == "actor":
            cells[name] = _actor(public)
        else:
            cells[name] = Cell(F(path), _kind(path))
    return cells


def _prediction_cells() -> dict[str, Any]:
    """A prediction without history: its own columns, every event column empty."""
    cells: dict[str, Any] = {}
    for name, path in EXPORT_COLUMNS.items():
        if path is None:
            cells[name] = Value(str(EXPORT_SCHEMA_VERSION))
        elif path in (TOPICS_PATH, TOPIC_NAMES_PATH):
            continue
        elif path.startswith(PREDICTION_PREFIX):
            cells[name] = Cell(F(path.removeprefix(PREDICTION_PREFIX)), _kind(path))
        else:
            cells[name] = Value(None, output_field=CharField())
    return cells


def _events_rows(filters: ExportFilters) -> _Rows:
    return _Rows(_events(filters), "prediction_id", ("at", "id"))


def _lonely_rows(filters: ExportFilters) -> _Rows:
    return _Rows(_without_history(filters), "id", ("id",))


def _csv_select(rows: _Rows, cells: dict[str, Any], filters: ExportFilters) -> tuple[str, tuple[Any, ...]]:
    outer, from_, params = _joined(rows, cells, (_CSV_TOPICS, _CSV_TOPIC_COLUMNS), filters)
    return "SELECT " + ", ".join(
        f'{column} AS "c{i}"' for i, column in enumerate(outer)
    ) + f" {from_}", params


def copy_selects(filters: ExportFilters, public: bool) -> list[tuple[str, tuple[Any, ...]]]:
    """The SELECTs (SQL, params) whose rows, in turn, are the export's rows."""
    selects = [_csv_select(_events_rows(filters), _event_cells(public), filters)]
    if not filters.has_date_range:
        selects.append(_csv_select(_lonely_rows(filters), _prediction_cells(), filters))
    return selects


def header() -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(EXPORT_FIELDS)
    return buffer.getvalue()


def copy_csv(
    filters: ExportFilters,
    *,
    public: bool,
    chunk_size: int,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The CSV export as text chunks of up to `chunk_size` rows, header first."""
    yield header()
    for sql, params in copy_selects(filters, public):
        yield from _copy_rows(sql, params, chunk_size, on_rows)


def _copy_rows(
    sql: str, params: tuple[Any, ...], chunk_size: int, on_rows: Callable[[int], None] | None
) -> Iterator[str]:
    # A transaction of its own (or a savepoint), for SET LOCAL: JIT compiles the SELECT's
    # forty-odd cell expressions, which at a million rows costs more than it saves
    # (measured 4.2 s against 2.9 s for the predictions without history).
    with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute("SET LOCAL jit = off")
        raw = cursor.cursor
        encoding = raw.connection.info.encoding
        # COPY takes no bind parameters; psycopg merges these into the statement itself,
        # quoted by the same adapters it uses for queries.
        with raw.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            yield from _chunked(map(_csv_row, copy), chunk_size, on_rows, lambda rows: _text(rows, encoding))


def _csv_row(row: Any) -> Any:
    # The protocol sends one row per message, so the last byte is the row's own line end,
    # and any other "\n" is inside a quoted cell and stays as it is.
    if row[-1] != 10:  # noqa: PLR2004 - "\n"
        raise RuntimeError("COPY sent a message that is not one whole row")
    return row[:-1]


def _chunked(
    rows: Iterator[Any],
    chunk_size: int,
    on_rows: Callable[[int], None] | None,
    render: Callable[[list[Any]], str],
) -> Iterator[str]:
    """COPY's rows rendered `chunk_size` at a time, each chunk counted to `on_rows`."""
    # islice gathers a chunk in C, not a Python loop's append and length test per row.
    while chunk := list(islice(rows, chunk_size)):
        yield render(chunk)
        if on_rows:
            on_rows(len(chunk))


def _text(rows: list[Any], encoding: str) -> str:
    return (b"\r\n".join(rows) + b"\r\n").decode(encoding)


# --- JSON Lines -----------------------------------------------------------------------------

# What row_to_json is given for a value of each kind of field, so that it writes the ORM
# path's JSON: text stays text (a JSON string, escaped as json.dumps escapes), integers stay
# numbers, what the ORM path writes as a string (decimals, dates, times) is formatted to
# text here, and a list is built as compact JSON text cast to json, which row_to_json embeds
# as it is. {v} is the column.
_JSON_LIST = (
    "CASE jsonb_array_length({v}) WHEN 0 THEN '[]' WHEN 1 THEN '[' || ({v} -> 0)::text || ']'"
    " WHEN 2 THEN '[' || ({v} -> 0)::text || ',' || ({v} -> 1)::text || ']'"
    " ELSE '[' || array_to_string(ARRAY(SELECT jsonb_array_elements({v})::text), ',') || ']' END"
)
_AS_VALUE: dict[str, str] = {
    "DateField": _AS_TEXT["DateField"],
    "DateTimeField": _AS_TEXT["DateTimeField"],
    "DecimalField": "({v})::text",
    # A jsonb string element's text is its JSON literal, escaped as to_json escapes.
    "JSONField": f"({_JSON_LIST})::json",
}


class Typed(Expression):
    """`expression` as `template` makes it ({v}); the column itself without a template."""

    output_field = CharField()

    def __init__(self, expression: Any, template: str) -> None:
        super().__init__()
        self.expression = expression
        self.template = template

    def get_source_expressions(self) -> list[Any]:
        return [self.expression]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.expression,) = exprs

    def as_sql(self, compiler: Any, conn: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.expression)
        return self.template.format(v=sql), list(params) * self.template.count("{v}")


def _json_value(name: str, path: str, kind: str) -> Any:
    if name == "speaker_name":  # the ORM path writes an unattributed prediction's as ""
        return Coalesce(F(path), Value(""), output_field=CharField())
    if kind in _AS_VALUE:
        return Typed(F(path), _AS_VALUE[kind])
    return F(path)


def _json_actor(public: bool) -> Any:
    if not public:
        return F("actor_name")
    return Case(
        When(actor_name__in=[*ROLES, ""], then=F("actor_name")),
        default=Value(REDACTED_REVIEWER),
        output_field=CharField(),
    )


def _constant(value: Any) -> Any:
    """What exporting.EMPTY_EVENT has for an event column of a prediction without history."""
    if value == []:
        return Typed(Value(None), "'[]'::json")
    return Value(value, output_field=CharField())


def _event_values(public: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, path in EXPORT_COLUMNS.items():
        if path is None:
            values[name] = Typed(Value(None), str(EXPORT_SCHEMA_VERSION))
        elif path in (TOPICS_PATH, TOPIC_NAMES_PATH):
            continue  # joined (_joined)
        elif name == "actor":
            values[name] = _json_actor(public)
        else:
            values[name] = _json_value(name, path, _kind(path))
    return values


def _prediction_values() -> dict[str, Any]:
    """A prediction without history: its own values, the event's as exporting.EMPTY_EVENT has them."""
    values: dict[str, Any] = {}
    for name, path in EXPORT_COLUMNS.items():
        if path is None:
            values[name] = Typed(Value(None), str(EXPORT_SCHEMA_VERSION))
        elif path in (TOPICS_PATH, TOPIC_NAMES_PATH):
            continue
        elif path.startswith(PREDICTION_PREFIX):
            values[name] = _json_value(name, path.removeprefix(PREDICTION_PREFIX), _kind(path))
        else:
            values[name] = _constant(EMPTY_EVENT.get(path, ""))
    return values


def _json_select(rows: _Rows, values: dict[str, Any], filters: ExportFilters) -> tuple[str, tuple[Any, ...]]:
    """One JSON text column: row_to_json over the values named as the export's fields, in a
    subquery whose ORDER BY keeps it from being merged into the outer, so its order holds."""
    outer, from_, params = _joined(rows, values, (_JSON_TOPICS, _JSON_TOPIC_COLUMNS), filters)
    named = ", ".join(f'{column} AS "{name}"' for column, name in zip(outer, EXPORT_FIELDS, strict=True))
    return f"SELECT row_to_json(r)::text FROM (SELECT {named} {from_}) AS r", params


def jsonl_selects(filters: ExportFilters, public: bool) -> list[tuple[str, tuple[Any, ...]]]:
    """The SELECTs (SQL, params) of one JSON text column whose rows, in turn, are the lines."""
    selects = [_json_select(_events_rows(filters), _event_values(public), filters)]
    if not filters.has_date_range:
        selects.append(_json_select(_lonely_rows(filters), _prediction_values(), filters))
    return selects


def copy_jsonl(
    filters: ExportFilters,
    *,
    public: bool,
    chunk_size: int,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The JSON Lines export as text chunks of up to `chunk_size` lines."""
    for sql, params in jsonl_selects(filters, public):
        yield from _copy_lines(sql, params, chunk_size, on_rows)


# COPY's CSV format with a quote and a delimiter no JSON text holds raw (row_to_json escapes
# every control character): each line comes out exactly as the SELECT wrote it, where the
# text format would double every backslash for Python to halve again.
_VERBATIM = "FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01'"


def _copy_lines(
    sql: str, params: tuple[Any, ...], chunk_size: int, on_rows: Callable[[int], None] | None
) -> Iterator[str]:
    with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute("SET LOCAL jit = off")  # as for the CSV: compiling costs more than it saves
        raw = cursor.cursor
        encoding = raw.connection.info.encoding
        with raw.copy(f"COPY ({sql}) TO STDOUT ({_VERBATIM})", params) as copy:
            yield from _chunked(iter(copy), chunk_size, on_rows, lambda rows: b"".join(rows).decode(encoding))
