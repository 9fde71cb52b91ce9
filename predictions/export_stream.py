"""The export's one entry point: CSV and JSON Lines from PostgreSQL through COPY
(`export_sql.py`), SQLite and substituted rows through the ORM rows (`exporting.py`). Above both, so neither
imports the other's caller."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db import connection

from .export_sql import copy_csv
from .export_sql_jsonl import copy_jsonl
from .exporting import CHUNK_SIZE, ExportFilters, check_format, stream_rows


def stream_export(  # noqa: PLR0913 - keyword-only options of the one streaming path
    fmt: str,
    filters: ExportFilters | None = None,
    *,
    public: bool = False,
    chunk_size: int = CHUNK_SIZE,
    rows: Iterable[tuple[Any, ...]] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The export as text chunks of up to `chunk_size` rows (CSV starts with its header).

    `public` replaces reviewers' user names with "reviewer"; `rows` substitutes the
    database tuples (`exporting.event_rows()` by default); `on_rows(n)` is told how many
    rows each chunk held (the command's progress bar). CSV and JSON Lines from PostgreSQL's
    own tables come through COPY, the same bytes at several times the speed.
    """
    check_format(fmt)
    if rows is None and connection.vendor == "postgresql":
        copy = copy_csv if fmt == "csv" else copy_jsonl
        yield from copy(filters or ExportFilters(), public=public, chunk_size=chunk_size, on_rows=on_rows)
        return
    yield from stream_rows(fmt, filters, public=public, chunk_size=chunk_size, rows=rows, on_rows=on_rows)
