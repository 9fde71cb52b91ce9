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
- topics: one grouped pass over the through table joined to the rows (`joined`), the slugs
  joined by single spaces and the names as a JSON list, both ordered by slug `COLLATE "C"`
  (code point order, Python's `sorted()`, whatever the database's collation);
- every cell that starts with one of `export_schema.CSV_RISKY_FIRST` gets one leading quote
  (the CSV-injection rule), and an empty cell is NULL, which COPY writes unquoted, as
  csv.writer writes "" (COPY would quote an empty string).

PostgreSQL's CSV quoting (a cell holding the delimiter, a quote, "\r" or "\n" is quoted,
quotes doubled) is csv.writer's default with a "\r\n" terminator, so the bytes are the same;
tests/test_export_copy.py compares the two paths byte for byte.

JSON Lines come through the same SELECTs and COPY (`export_sql_jsonl.py`).
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
AS_TEXT: dict[str, str] = {
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
        text = AS_TEXT.get(self.kind, "{v}")
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


def kind_of(path: str) -> str:
    """The internal type of the model field an export column's path ends at."""
    return _field(Event, path).get_internal_type()


def actor(public: bool, value: Any) -> Any:
    """The actor column `value` as the download shows it: in a public one
    (actors.public_download_name in SQL) a person's name becomes "reviewer"; a role and an
    empty actor stay as they are (neither needs the injection rule)."""
    if not public:
        return value
    return Case(
        When(actor_name__in=[*ROLES, ""], then=value),
        default=Value(REDACTED_REVIEWER),
        output_field=CharField(),
    )


# The topics, aggregated once per prediction in one grouped pass over the through table and
# joined to the rows (a correlated subquery per row and column cost 4 s a column at a million
# rows; the grouped pass 3 s for both). Ordered by slug COLLATE "C", code point order: the ORM
# path's sorted(), whatever the database's collation. {order} is that ORDER BY.
BY_SLUG = 'ORDER BY export_topic.slug COLLATE "C"'
# The CSV's: the slugs joined by single spaces, with the injection rule; the names as a JSON
# list (array_to_json's compact text, the JSON Lines' own); NULL for none.
_CSV_TOPICS = (
    f"string_agg(export_topic.slug, ' ' {BY_SLUG})",
    f"array_to_json(array_agg(export_topic.name {BY_SLUG}))::text",
)
_CSV_TOPIC_COLUMNS = {
    "topics": f"CASE WHEN ascii(tp.slugs) IN ({_RISKY}) THEN {_QUOTE} || tp.slugs ELSE tp.slugs END",
    "topic_names": "tp.names",
}


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
class Rows:
    """One of the export's two SELECTs: its queryset, the prediction's id and the order."""

    queryset: QuerySet
    prediction: str
    order: tuple[str, ...]


def joined(
    rows: Rows,
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


def columns(
    version: Any, value: Callable[[str, str, str], Any], empty: Callable[[str], Any] | None = None
) -> dict[str, Any]:
    """The export's columns but the topics (joined) as expressions, for the events' rows, or
    (given `empty`: what an event column holds without one) for a prediction without
    history: `value(name, column, kind)` of each column, `version` for the schema's."""
    values: dict[str, Any] = {}
    for name, path in EXPORT_COLUMNS.items():
        if path is None:
            values[name] = version
        elif path in (TOPICS_PATH, TOPIC_NAMES_PATH):
            continue  # joined (joined)
        elif empty is None:
            values[name] = value(name, path, kind_of(path))
        elif path.startswith(PREDICTION_PREFIX):
            values[name] = value(name, path.removeprefix(PREDICTION_PREFIX), kind_of(path))
        else:
            values[name] = empty(path)
    return values


def _cell(public: bool) -> Callable[[str, str, str], Any]:
    def cell(name: str, column: str, kind: str) -> Any:
        return actor(public, Cell(F(column), kind)) if name == "actor" else Cell(F(column), kind)

    return cell


def _no_cell(path: str) -> Any:
    return Value(None, output_field=CharField())


def events_rows(filters: ExportFilters) -> Rows:
    return Rows(_events(filters), "prediction_id", ("at", "id"))


def lonely_rows(filters: ExportFilters) -> Rows:
    return Rows(_without_history(filters), "id", ("id",))


def _csv_select(rows: Rows, cells: dict[str, Any], filters: ExportFilters) -> tuple[str, tuple[Any, ...]]:
    outer, from_, params = joined(rows, cells, (_CSV_TOPICS, _CSV_TOPIC_COLUMNS), filters)
    return "SELECT " + ", ".join(
        f'{column} AS "c{i}"' for i, column in enumerate(outer)
    ) + f" {from_}", params


def copy_selects(filters: ExportFilters, public: bool) -> list[tuple[str, tuple[Any, ...]]]:
    """The SELECTs (SQL, params) whose rows, in turn, are the export's rows."""
    version = Value(str(EXPORT_SCHEMA_VERSION))
    selects = [_csv_select(events_rows(filters), columns(version, _cell(public)), filters)]
    if not filters.has_date_range:
        selects.append(_csv_select(lonely_rows(filters), columns(version, _cell(False), _no_cell), filters))
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
        yield from copy_chunks(
            sql,
            params,
            options="FORMAT csv",
            chunk_size=chunk_size,
            on_rows=on_rows,
            render=_text,
            row=_csv_row,
        )


def copy_chunks(  # noqa: PLR0913 - keyword-only, each a part of the COPY
    sql: str,
    params: tuple[Any, ...],
    *,
    options: str,
    chunk_size: int,
    on_rows: Callable[[int], None] | None,
    render: Callable[[list[bytes], str], str],
    row: Callable[[bytes], bytes] | None = None,
) -> Iterator[str]:
    """`COPY (sql) TO STDOUT (options)`: its rows (each through `row`), `render`ed with the
    connection's encoding `chunk_size` at a time, each chunk counted to `on_rows`."""
    # A transaction of its own (or a savepoint), for SET LOCAL: JIT compiles the SELECT's
    # forty-odd cell expressions, which at a million rows costs more than it saves
    # (measured 4.2 s against 2.9 s for the predictions without history).
    with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute("SET LOCAL jit = off")
        raw = cursor.cursor
        encoding = raw.connection.info.encoding
        # COPY takes no bind parameters; psycopg merges these into the statement itself,
        # quoted by the same adapters it uses for queries.
        with raw.copy(f"COPY ({sql}) TO STDOUT ({options})", params) as copy:
            rows = map(row, copy) if row else iter(copy)
            # islice gathers a chunk in C, not a Python loop's append and length test per row.
            while chunk := list(islice(rows, chunk_size)):
                yield render(chunk, encoding)
                if on_rows:
                    on_rows(len(chunk))


def _csv_row(row: bytes) -> bytes:
    # The protocol sends one row per message, so the last byte is the row's own line end,
    # and any other "\n" is inside a quoted cell and stays as it is.
    if row[-1] != 10:  # noqa: PLR2004 - "\n"
        raise RuntimeError("COPY sent a message that is not one whole row")
    return row[:-1]


def _text(rows: list[bytes], encoding: str) -> str:
    return (b"\r\n".join(rows) + b"\r\n").decode(encoding)
