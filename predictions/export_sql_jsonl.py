r"""JSON Lines on PostgreSQL (`copy_jsonl`), through the CSV export's SELECTs (`export_sql.py`): each line is `row_to_json` over
the same values named as the export's fields, in its order, which is the ORM path's
encoding (`json.dumps(..., ensure_ascii=False, separators=(",", ":"))`): compact, a text
escaped as `to_json` escapes (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, other controls as
lowercase `\u00XX`, everything else as itself), as Python does; integers bare, decimals,
dates and times given to it as text formatted as the CSV's are (`export_sql.AS_TEXT`), evidence and topics as compact JSON
text cast to json, NULL as `null`. COPY writes it in CSV format with a quote and a delimiter
that JSON text never holds raw, so each line arrives exactly as written (the text format
would double every backslash); tests/test_export_jsonl_copy.py compares the two paths byte
for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import CharField, Expression, F, Value
from django.db.models.functions import Coalesce

from .export_schema import EXPORT_FIELDS, EXPORT_SCHEMA_VERSION
from .export_sql import AS_TEXT, BY_SLUG, Rows, actor, columns, copy_chunks, events_rows, joined, lonely_rows
from .exporting import EMPTY_EVENT, ExportFilters

# The topics: text arrays, which row_to_json writes as compact JSON lists ([] for none).
_JSON_TOPICS = (f"array_agg(export_topic.slug {BY_SLUG})", f"array_agg(export_topic.name {BY_SLUG})")
_JSON_TOPIC_COLUMNS = {"topics": "COALESCE(tp.slugs, '{}')", "topic_names": "COALESCE(tp.names, '{}')"}

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
    "DateField": AS_TEXT["DateField"],
    "DateTimeField": AS_TEXT["DateTimeField"],
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


def _constant(value: Any) -> Any:
    """What exporting.EMPTY_EVENT has for an event column of a prediction without history."""
    if value == []:
        return Typed(Value(None), "'[]'::json")
    return Value(value, output_field=CharField())


def _value(public: bool) -> Callable[[str, str, str], Any]:
    def value(name: str, column: str, kind: str) -> Any:
        return actor(public, F(column)) if name == "actor" else _json_value(name, column, kind)

    return value


def _no_value(path: str) -> Any:
    return _constant(EMPTY_EVENT.get(path, ""))


def _json_select(rows: Rows, values: dict[str, Any], filters: ExportFilters) -> tuple[str, tuple[Any, ...]]:
    """One JSON text column: row_to_json over the values named as the export's fields, in a
    subquery whose ORDER BY keeps it from being merged into the outer, so its order holds."""
    outer, from_, params = joined(rows, values, (_JSON_TOPICS, _JSON_TOPIC_COLUMNS), filters)
    named = ", ".join(f'{column} AS "{name}"' for column, name in zip(outer, EXPORT_FIELDS, strict=True))
    return f"SELECT row_to_json(r)::text FROM (SELECT {named} {from_}) AS r", params


def jsonl_selects(filters: ExportFilters, public: bool) -> list[tuple[str, tuple[Any, ...]]]:
    """The SELECTs (SQL, params) of one JSON text column whose rows, in turn, are the lines."""
    version = Typed(Value(None), str(EXPORT_SCHEMA_VERSION))
    selects = [_json_select(events_rows(filters), columns(version, _value(public)), filters)]
    if not filters.has_date_range:
        selects.append(
            _json_select(lonely_rows(filters), columns(version, _value(False), _no_value), filters)
        )
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
        yield from copy_chunks(
            sql, params, options=_VERBATIM, chunk_size=chunk_size, on_rows=on_rows, render=_lines
        )


# COPY's CSV format with a quote and a delimiter no JSON text holds raw (row_to_json escapes
# every control character): each line comes out exactly as the SELECT wrote it, where the
# text format would double every backslash for Python to halve again.
_VERBATIM = "FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01'"


def _lines(rows: list[bytes], encoding: str) -> str:
    return b"".join(rows).decode(encoding)
