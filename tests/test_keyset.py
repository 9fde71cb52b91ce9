"""Keyset pages on (due_on, id) (predictions/keyset.py): every row once, in order, across
pages, and on PostgreSQL the key is an index range condition, not a filter on every row."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection, transaction

from predictions import keyset
from predictions.models import Prediction, Speaker
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(make_prediction, speaker: Speaker) -> list[Prediction]:
    made = [
        make_prediction(
            claim=f"c{i}",
            speaker=speaker if i % 2 else None,
            due_on=date(2027, 1, 1) + timedelta(days=(9 - i) // 3),
        )
        for i in range(10)
    ]
    return sorted(made, key=lambda p: (p.due_on, p.pk))


@pytest.mark.parametrize("page_size", [1, 3, 10, 11])
def test_a_walk_reads_every_row_once_in_order(rows: list[Prediction], page_size: int) -> None:
    assert [p.pk for p in keyset.walk(Prediction.objects.all(), page_size)] == [p.pk for p in rows]


def test_a_walk_stops_at_its_limit(rows: list[Prediction]) -> None:
    assert [p.pk for p in keyset.walk(Prediction.objects.all(), 3, limit=7)] == [p.pk for p in rows[:7]]


def test_after_and_before_split_the_rows_at_a_key(rows: list[Prediction]) -> None:
    key = keyset.key_of(rows[4])
    ordered = Prediction.objects.order_by("due_on", "id")
    assert [p.pk for p in keyset.after(ordered, key)] == [p.pk for p in rows[5:]]
    assert [p.pk for p in keyset.before(ordered, key)] == [p.pk for p in rows[:4]]


def test_a_cursor_reads_back_as_its_key() -> None:
    key = (date(9999, 12, 31), 2**62)
    assert keyset.decode(keyset.encode(key)) == key
    with pytest.raises(ValueError):
        keyset.decode("bm9wZQ")


def plan(queryset) -> str:
    # On a table this small the planner would read it whole whatever the condition; with
    # sequential scans and sorts off it shows whether the key can bound an index scan at all
    # (at 100,000 rows the planner picks that scan itself: see `make bench`'s API rows).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        # Nor sorting a few rows read through another index (the speaker's foreign key).
        cursor.execute("SET LOCAL enable_sort = off")
        return queryset.explain()


@requires_postgres
@pytest.mark.parametrize("speaker_filter", [False, True])
def test_on_postgresql_a_deep_key_is_an_index_range_not_a_sort(rows, speaker, speaker_filter) -> None:
    predictions = Prediction.objects.filter(speaker=speaker) if speaker_filter else Prediction.objects.all()
    ordered = predictions.order_by("due_on", "id")
    text = plan(keyset.after(ordered, keyset.key_of(rows[4]))[:50])
    assert (
        "Index Cond" in text and "ROW(due_on, id) > ROW(" in text.split("Index Cond", 1)[1].split("\n")[0]
    ), text
    assert "Sort" not in text, text
    descending = keyset.before(predictions.order_by("-due_on", "-id"), keyset.key_of(rows[4]))[:50]
    text = plan(descending)
    assert "Index Scan Backward" in text and "Sort" not in text, text
