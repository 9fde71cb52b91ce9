"""Counting from the predictions themselves: the bucketing rule in Python (`BUCKET`), the
tally's answers recounted from the raw rows (`count`, `stated_sums`), and checking and
repairing the whole table (`recount`, `differences`, `rebuild`: `manage.py recount_tallies`).

The database's triggers (migration 0008) bucket every written row by the same rule, in SQL,
once per dialect. Both dialects stay, beside this Python, because each does what the others
cannot: the triggers run inside every write — a raw UPDATE, a bulk import, the admin — in its
own transaction, which no Python code sees; PostgreSQL buckets a whole statement at once from
its transition tables (one grouped upsert for a 100,000-row UPDATE), which SQLite, with
row-level triggers only, has no way to say; and the functions differ (`LEAST` and `EXTRACT`
against `min` and the date's text). The SQL is not generated from this module because a
migration is frozen: replayed on a new database years later it must install the triggers it
installed then, and a change of rule is a new migration. One rule, then, written three times
and held together by a test (tests/test_tally.py) that writes every status × outcome ×
horizon × probability bucket through the ORM and compares what the triggers counted with
`recount()` and with `scoring.stated_bucket`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, ExtractYear, Least, Round

from .models import Prediction, Status, TallyRow
from .models.tally import COLUMN, GRAINS, NEUTRAL
from .scoring import CALIBRATION_BUCKETS, PROBABILITY_SCALE, Stated, Tally

# Where a prediction stands, as the tally's `state` and scoring.Tally's fields name it.
STATES = tuple(f.name for f in fields(Tally))

_milli = Cast(Round(F("probability") * PROBABILITY_SCALE), IntegerField())
# A prediction's bucket, as annotations: what the triggers compute for each row.
BUCKET = {
    "due_year": ExtractYear("due_on"),
    "state": Case(When(status=Status.RESOLVED, then=F("outcome")), default=F("status")),
    # Not Coalesce(Least(...)): PostgreSQL's LEAST skips NULLs, so it would bucket "none" as 4.
    "probability_bin": Case(
        When(probability__isnull=True, then=Value(-1)),
        default=Least(_milli * CALIBRATION_BUCKETS / PROBABILITY_SCALE, Value(CALIBRATION_BUCKETS - 1)),
    ),
    "milli": _milli,
}


def as_tallies(grouped: QuerySet, group_by: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of the `group_by` values and one count per state, as {values..., "tally": Tally}."""
    return [
        {**{name: row[name] for name in group_by}, "tally": Tally(**{state: row[state] for state in STATES})}
        for row in grouped
    ]


def as_stated(summed: QuerySet, group_by: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of the `group_by` values, "state", "probability_bin" and their sums as "stated"."""
    return [
        {
            **{name: row[name] for name in (*group_by, "state", "probability_bin")},
            "stated": Stated(row["stated"], int(row["total"] or 0), int(row["squares"] or 0)),
        }
        for row in summed
    ]


def count(predictions: QuerySet[Prediction], group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """`tallies.tallies()`'s rows, counted from `predictions` row by row: one per non-empty
    group (one in all without `group_by`, none when there is nothing to count)."""
    counts = {state: Count("pk", filter=Q(state=state)) for state in STATES}
    bucketed = predictions.annotate(**BUCKET)
    if not group_by:
        summed = bucketed.aggregate(**counts)
        return as_tallies([summed], ()) if any(summed.values()) else []
    return as_tallies(bucketed.values(*group_by).annotate(**counts).order_by(), group_by)


def stated_sums(predictions: QuerySet[Prediction], group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """`tallies.stated()`'s rows, summed from `predictions` row by row."""
    summed = (
        predictions.filter(probability__isnull=False)
        .annotate(**BUCKET)
        .values(*group_by, "state", "probability_bin")
        .annotate(stated=Count("pk"), total=Sum("milli"), squares=Sum(F("milli") * F("milli")))
        .order_by()
    )
    return as_stated(summed, group_by)


# --- the whole table: manage.py recount_tallies -------------------------------------------


def recount() -> dict[tuple, tuple[int, ...]]:
    """Every non-empty bucket at every grain, counted from the predictions themselves:
    {TallyRow.KEY values: TallyRow.SUMS values}."""
    expected: dict[tuple, tuple[int, ...]] = {}
    for grain, kept in GRAINS.items():
        rows = (
            Prediction.objects.annotate(**BUCKET)
            .values(*(COLUMN[d] for d in sorted(kept)), "state")
            .annotate(
                n=Count("pk"),
                n_probability=Count("probability"),
                probability_sum=Coalesce(Sum("milli"), 0),
                probability_squares=Coalesce(Sum(F("milli") * F("milli")), 0),
            )
            .order_by()
        )
        for row in rows:
            bucket = {COLUMN[d]: row[COLUMN[d]] if d in kept else NEUTRAL[d] for d in NEUTRAL}
            key = (grain, *(bucket[k] for k in TallyRow.KEY[1:-1]), row["state"])
            expected[key] = tuple(row[s] for s in TallyRow.SUMS)
    return expected


def counted() -> dict[tuple, tuple[int, ...]]:
    """What the tally table holds, in `recount()`'s shape (empty buckets left out)."""
    rows = TallyRow.objects.exclude(n=0, n_probability=0, probability_sum=0, probability_squares=0)
    return {tuple(r[:8]): tuple(r[8:]) for r in rows.values_list(*TallyRow.KEY, *TallyRow.SUMS)}


def differences() -> list[tuple[tuple, tuple[int, ...], tuple[int, ...]]]:
    """(bucket key, what the tally holds, what the predictions give) for every bucket where
    they differ; empty when the tally is exact. Read in one transaction, so on PostgreSQL
    both sides see the same committed writes."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # Both reads in one snapshot: a write committed between them is not a difference.
            connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        held, expected = counted(), recount()
    zero = (0, 0, 0, 0)
    return [
        (key, held.get(key, zero), expected.get(key, zero))
        for key in sorted(set(held) | set(expected), key=repr)
        if held.get(key, zero) != expected.get(key, zero)
    ]


def rebuild() -> int:
    """Replace the tally with a recount; the predictions are locked against writes meanwhile.
    Returns how many buckets it now holds."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            connection.cursor().execute("LOCK TABLE predictions_prediction IN SHARE MODE")
        expected = recount()
        TallyRow.objects.all().delete()
        TallyRow.objects.bulk_create(
            TallyRow(
                **dict(zip(TallyRow.KEY, key, strict=True)), **dict(zip(TallyRow.SUMS, sums, strict=True))
            )
            for key, sums in expected.items()
        )
    return len(expected)
