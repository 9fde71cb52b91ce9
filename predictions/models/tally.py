"""The tally: counts of predictions kept by the database itself, so the scorecard reads a
few hundred rows instead of every prediction.

Every write to a prediction — a flag, a decision, an import, an admin edit, a bulk UPDATE,
a raw SQL statement — fires triggers (migration 0008) that subtract the old row from its
bucket and add the new one, in the same transaction as the write, so the tally is always
exact. The triggers only know how to *bucket* a row: by its speaker, source, attribution,
horizon, due year, probability and where it stands (`state`: its outcome when resolved,
else its status — the field names of `scoring.Tally`). What an event does to a prediction
stays in `transitions.py`, the one home of those rules; the tally follows from the columns.

A bucket is kept at several grains (`Grain`), so that a question about all predictions
reads a small grain, and one about a single source reads that source's rows only.
`manage.py recount_tallies` recomputes every bucket from the predictions (`recount()`) and
reports any difference.

The same triggers bump `DataVersion`, the one-row version of everything the public
scorecard shows (predictions, speakers, sources, stances): its cache key and ETag.

Both tables belong to the database, not to Django: they are created by the migration with
the triggers and are unmanaged here, so Django's test flush (plain DELETEs on SQLite, which
the triggers count) leaves them to the triggers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, ExtractYear, Least, Round

from ..scoring import CALIBRATION_BUCKETS, PROBABILITY_SCALE, Tally
from .catalogue import Source, Speaker
from .choices import Status

if TYPE_CHECKING:
    from .prediction import PredictionQuerySet

TALLY_FIELDS = ("held_up", "partially", "did_not_hold_up", "unresolvable", "open", "due")


class Grain(models.TextChoices):
    HORIZON = "horizon", "Speaker, attribution, horizon and calibration bucket"
    YEAR = "year", "Speaker, attribution and due year"
    SOURCES = "sources", "Source"
    SOURCE = "source", "Every dimension (read for one source)"


# The dimensions each grain keeps besides `state`; a dimension a grain does not keep holds
# its neutral value there (NULL, '', 0 or -1). Smallest grain first: a question is answered
# by the first grain that keeps every dimension it names. Migration 0008 has the same list.
GRAINS: dict[str, frozenset[str]] = {
    Grain.HORIZON: frozenset({"speaker", "attribution", "horizon", "probability_bin"}),
    Grain.YEAR: frozenset({"speaker", "attribution", "due_year"}),
    Grain.SOURCES: frozenset({"source"}),
    Grain.SOURCE: frozenset({"speaker", "source", "attribution", "horizon", "due_year", "probability_bin"}),
}
NEUTRAL: dict[str, Any] = {
    "speaker": None,
    "source": None,
    "attribution": "",
    "horizon": "",
    "due_year": 0,
    "probability_bin": -1,
}
# A lookup's first part -> the dimension it reads, for names a filter or a GROUP BY uses.
DIMENSION_OF = {
    "speaker": "speaker",
    "speaker_id": "speaker",
    "source": "source",
    "source_id": "source",
    "attribution": "attribution",
    "horizon": "horizon",
    "due_year": "due_year",
    "probability_bin": "probability_bin",
}


class TallyRow(models.Model):
    """One bucket at one grain: how many predictions, and their stated probabilities summed
    (see `scoring.Stated`). Written only by the database's triggers."""

    grain = models.CharField(max_length=10, choices=Grain.choices)
    # db_constraint=False: the triggers write ids as they find them; PROTECT on the
    # predictions already keeps a counted speaker or source from being deleted.
    speaker = models.ForeignKey(
        Speaker, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    source = models.ForeignKey(
        Source, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    attribution = models.CharField(max_length=12)
    horizon = models.CharField(max_length=10)
    due_year = models.IntegerField()
    probability_bin = models.SmallIntegerField(help_text="Calibration bucket 0-4; -1 without a probability.")
    state = models.CharField(max_length=20, help_text="The outcome when resolved, else the status.")
    n = models.IntegerField()
    n_probability = models.IntegerField()
    probability_sum = models.BigIntegerField(help_text="Σ p, in thousandths.")
    probability_squares = models.BigIntegerField(help_text="Σ p², in millionths.")

    class Meta:
        managed = False
        db_table = "predictions_tally"

    def __str__(self) -> str:
        return f"{self.grain} {self.state}: {self.n}"

    KEY = (
        "grain",
        "speaker_id",
        "source_id",
        "attribution",
        "horizon",
        "due_year",
        "probability_bin",
        "state",
    )
    SUMS = ("n", "n_probability", "probability_sum", "probability_squares")


class DataVersion(models.Model):
    """One row: a token every write to what the scorecard shows replaces (in the same
    transaction), and when. The scorecard's cache key, ETag and Last-Modified."""

    token = models.CharField(max_length=40)
    changed_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "predictions_dataversion"

    def __str__(self) -> str:
        return f"{self.token} at {self.changed_at}"


def data_version() -> tuple[str, datetime | None]:
    row = DataVersion.objects.filter(pk=1).values_list("token", "changed_at").first()
    return row if row is not None else ("none", None)


# --- bucketing in the ORM: what the triggers compute, for the recount and the fallback ------

_milli = Cast(Round(F("probability") * PROBABILITY_SCALE), IntegerField())
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
# A dimension -> its column in both tables.
COLUMN = {d: f"{d}_id" if d in ("speaker", "source") else d for d in NEUTRAL}


def recount() -> dict[tuple, tuple[int, ...]]:
    """Every non-empty bucket at every grain, counted from the predictions themselves:
    {TallyRow.KEY values: TallyRow.SUMS values}."""
    from .prediction import Prediction

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


# --- reading: answer a PredictionQuerySet's question from the tally when it can -----------


def _dimension(name: str) -> str | None:
    return DIMENSION_OF.get(name.split("__", 1)[0])


def _lookups(q: Q) -> Iterable[tuple[str, Any]]:
    """(lookup, value) of every condition in `q`; a bare expression is ("", expression)."""
    for child in q.children:
        if isinstance(child, Q):
            yield from _lookups(child)
        elif isinstance(child, tuple):
            yield child
        else:
            yield "", child


def tally_rows(predictions: PredictionQuerySet, names: Sequence[str]) -> models.QuerySet[TallyRow] | None:
    """The tally rows that answer `predictions` grouped by `names` (dimension lookups such as
    "speaker__slug", "horizon", "due_year", "probability_bin"), or None when the tally cannot:
    a filter on something it does not keep (status, due date, a selection of ids...).

    `predictions` remembers the Q of each filter() call; they are replayed on a fresh
    QuerySet and used only if that gives exactly the same WHERE clause, so a QuerySet
    narrowed some other way (exclude, a slice, none()) is never answered from the tally."""
    filters = predictions._tally_filters
    query = predictions.query
    if filters is None or query.is_sliced or query.combinator or query.distinct or query.extra:
        return None
    replayed = predictions.model._default_manager.all()
    for q in filters:
        replayed = replayed.filter(q)
    if replayed.query.where != query.where:
        return None
    wanted = set()
    for name, value in (lookup for q in filters for lookup in _lookups(q)):
        if _dimension(name) is None or hasattr(value, "resolve_expression"):
            return None
        wanted.add(_dimension(name))
    for name in names:
        if _dimension(name) is None:
            return None
        wanted.add(_dimension(name))
    grain = next((g for g, kept in GRAINS.items() if wanted <= kept), None)
    if grain is None:
        return None
    rows = TallyRow.objects.filter(grain=grain)
    for q in filters:
        rows = rows.filter(q)
    return rows


def tallies_from_table(rows: models.QuerySet[TallyRow], group_by: Sequence[str]) -> list[dict[str, Any]]:
    sums = {field: Coalesce(Sum("n", filter=Q(state=field)), 0) for field in TALLY_FIELDS}
    grouped = rows.filter(n__gt=0).values(*group_by).annotate(**sums).order_by()
    return [
        {**{name: row[name] for name in group_by}, "tally": Tally(**{k: row[k] for k in TALLY_FIELDS})}
        for row in grouped
    ]


def stated_from_table(rows: models.QuerySet[TallyRow], group_by: Sequence[str]) -> models.QuerySet:
    return (
        rows.filter(n_probability__gt=0)
        .values(*group_by, "state", "probability_bin")
        .annotate(
            stated=Sum("n_probability"),
            total=Sum("probability_sum"),
            squares=Sum("probability_squares"),
        )
        .order_by()
    )


def stated_from_predictions(predictions: PredictionQuerySet, group_by: Sequence[str]) -> models.QuerySet:
    return (
        predictions.filter(probability__isnull=False)
        .annotate(**BUCKET)
        .values(*group_by, "state", "probability_bin")
        .annotate(stated=Count("pk"), total=Sum("milli"), squares=Sum(F("milli") * F("milli")))
        .order_by()
    )


def most_predicted(dimension: str, limit: int) -> list[tuple[int, str, str]]:
    """(pk, slug, name or title) of the `limit` speakers or sources with the most predictions,
    most first: the scorecard's menus and the admin's filters list these."""
    if dimension == "speaker":
        rows = TallyRow.objects.filter(grain=Grain.HORIZON, speaker__isnull=False)
        fields = ("speaker_id", "speaker__slug", "speaker__name")
    else:
        rows = TallyRow.objects.filter(grain=Grain.SOURCES)
        fields = ("source_id", "source__slug", "source__title")
    ranked = rows.filter(n__gt=0).values(*fields).annotate(total=Sum("n")).order_by("-total", fields[2])
    return list(ranked.values_list(*fields)[:limit])


# --- checking and repairing: manage.py recount_tallies -------------------------------------


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
