"""Keyset pages of predictions for the public pages (a speaker's, the record, a source's, a
topic's): `size` rows after or before a cursor in (due_on, id) order, read with
`keyset.py`'s row comparison, with the cursors either side and the count. `cursor_rows()`
is the same both ways for any (day, id) order: the scorecard's coming-due tab pages its
(next_review, id) with it. A bad cursor is a
FilterError naming the parameter, which a page answers with a 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from . import keyset
from .filtering import FilterError
from .models import Prediction

PAGE_SIZE = 50


@dataclass(frozen=True)
class KeysetPage:
    """One page of predictions in (due_on, id) order, with the cursors of the
    pages either side (None at an end) and how many there are in all."""

    object_list: list[Prediction]
    previous: str | None  # ?before=
    next: str | None  # ?after=
    count: int
    # This page's own parameter, kept in the stances' page links: ("after", cursor) or None.
    here: tuple[str, str] | None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.previous or self.next)


def keyset_page(
    predictions: QuerySet[Prediction], after: str | None, before: str | None, size: int = PAGE_SIZE
) -> KeysetPage:
    """The page after the cursor `after`, before the cursor `before`, or the first: each read
    from a (due_on, id) index at its key (the speaker's, a source's, the whole table's), so the last page costs what the first does.
    A bad cursor is a FilterError naming it."""
    ordered = predictions.select_related("source").order_by("due_on", "id")
    rows, previous, following = cursor_rows(ordered, after, before, size)
    return KeysetPage(
        object_list=rows,
        previous=previous,
        next=following,
        count=predictions.count(),
        here=("before", before) if before else ("after", after) if after else None,
    )


def cursor_rows(
    ordered: QuerySet, after: str | None, before: str | None, size: int, day_field: str = "due_on"
) -> tuple[list[Any], str | None, str | None]:
    """`size` rows of `ordered` (in (day_field, id) order) after the cursor `after`, before
    the cursor `before`, or the first ones, with the cursors of the pages either side (None
    at an end). A bad cursor is a FilterError naming its parameter."""
    try:
        key = keyset.decode(after or before) if (after or before) else None
    except ValueError:
        name = "after" if after else "before"
        raise FilterError(name, after or before, "not a page this site gave out") from None
    if key is not None and before:
        backwards = keyset.before(ordered, key, day_field).order_by(f"-{day_field}", "-id")
        rows = list(backwards[: size + 1])
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        more_after = (
            bool(rows) and keyset.after(ordered, keyset.key_of(rows[-1], day_field), day_field).exists()
        )
    else:
        page = keyset.after(ordered, key, day_field) if key is not None else ordered
        rows = list(page[: size + 1])
        more_after = len(rows) > size
        rows = rows[:size]
        more_before = (
            key is not None
            and bool(rows)
            and keyset.before(ordered, keyset.key_of(rows[0], day_field), day_field).exists()
        )
    return (
        rows,
        keyset.encode(keyset.key_of(rows[0], day_field)) if more_before else None,
        keyset.encode(keyset.key_of(rows[-1], day_field)) if more_after else None,
    )
