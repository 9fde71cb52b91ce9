"""Keyset pages on (due_on, id): the one rule for the API's cursor, the speaker page's
`?after=` / `?before=` and the calendars' streamed pages.

A page is "the next `size` rows after this (due_on, id)" rather than "skip N rows": the
database reads the index from the key on, so page 20,000 costs what page 1 costs. The key is
written as a row comparison, `(due_on, id) > (day, pk)`, which PostgreSQL reads as one index
range condition on the (due_on, id) indexes (migration 0005, and per source 0013); an OR of
"later day, or same day and later id" would be a filter on every row it reads. SQLite has no
row comparison in Django, so there it is the OR with `due_on >= day` in front, which is still
an index range.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db.models import F, Model, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan

Key = tuple[date, int]


def after(rows: QuerySet, key: Key, day_field: str = "due_on") -> QuerySet:
    """The rows strictly after `key` in (day_field, id) order: due_on, or an annotation such
    as the coming-due page's next_review, whose index is on the same expression."""
    day, pk = key
    return rows.filter(**{f"{day_field}__gte": day}).filter(
        TupleGreaterThan(Tuple(F(day_field), F("id")), (day, pk))
    )


def before(rows: QuerySet, key: Key, day_field: str = "due_on") -> QuerySet:
    """The rows strictly before `key` in (day_field, id) order."""
    day, pk = key
    return rows.filter(**{f"{day_field}__lte": day}).filter(
        TupleLessThan(Tuple(F(day_field), F("id")), (day, pk))
    )


def key_of(row: Any, day_field: str = "due_on") -> Key:
    return getattr(row, day_field), row.pk


def encode(key: Key) -> str:
    day, pk = key
    return base64.urlsafe_b64encode(f"{day.isoformat()}|{pk}".encode()).decode().rstrip("=")


def decode(cursor: str) -> Key:
    """The key a cursor stands for; ValueError when it is not one this site gave out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, pk = text.split("|")
        return date.fromisoformat(day), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError(f"not a cursor: {cursor!r}") from None


def walk(rows: QuerySet, page_size: int, limit: int | None = None) -> Iterator[Model]:
    """Every row of `rows` in (due_on, id) order, read `page_size` at a time, each page its
    own short query: nothing is held between pages (no server-side cursor, no transaction
    left open while a slow client reads a streamed response), and memory is one page.
    `limit` stops after that many rows."""
    ordered = rows.order_by("due_on", "id")
    page = ordered
    left = limit
    while left is None or left > 0:
        take = page_size if left is None else min(page_size, left)
        found = list(page[:take])
        yield from found
        if len(found) < take:
            return
        if left is not None:
            left -= len(found)
        page = after(ordered, key_of(found[-1]))
