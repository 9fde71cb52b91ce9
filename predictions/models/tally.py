"""The tally: counts of predictions kept by the database itself, so the scorecard reads a
few hundred rows instead of every prediction. This module defines the tables; reading them
is `predictions/tallies.py`, recounting them from the predictions `predictions/recount.py`.

Every write to a prediction — a flag, a decision, an import, an admin edit, a bulk UPDATE,
a raw SQL statement — fires triggers (migration 0008) that subtract the old row from its
bucket and add the new one, in the same transaction as the write, so the tally is always
exact. The triggers only know how to *bucket* a row: by its speaker, source, attribution,
horizon, due year, probability and where it stands (`state`: its outcome when resolved,
else its status — the field names of `scoring.Tally`). What an event does to a prediction
stays in `transitions.py`, the one home of those rules; the tally follows from the columns.

A bucket is kept at several grains (`Grain`, `GRAINS`), so that a question about all
predictions reads a small grain, and one about a single source reads that source's rows only.
`manage.py recount_tallies` recomputes every bucket from the predictions and reports any
difference.

The same triggers bump `DataVersion`, the one-row version of everything the public
scorecard shows (predictions, speakers, sources, stances): its cache key and ETag.

When, on PostgreSQL (migration 0015, issue 17): not during the writer's transaction but at
its COMMIT. A statement only appends its grouped deltas to a pending table of its own
transaction and marks the transaction; a deferred constraint trigger folds them into the
tally, in bucket order, and then bumps the version row, once per transaction, as it
commits. So no writer holds a tally or version row while it works: writers run side by
side, and since each locks its predictions in its body and tally/version rows only at
commit (after every prediction it will hold), no wait cycle runs through them. The version
stays one row, bumped under its row lock at each commit, so it changes with every commit
in commit order (a later-started transaction that commits first bumps it, and the earlier
one bumps it again when it commits): unlike the max id of an append-only log, a reader can
never see a key that a still-uncommitted write will not change. A transaction that reads
the tally after its own writes folds them first (`settle()`); SQLite keeps 0008's row
triggers, as it serialises writers on its database lock anyway.

Both tables belong to the database, not to Django: they are created by the migration with
the triggers and are unmanaged here, so Django's test flush (plain DELETEs on SQLite, which
the triggers count) leaves them to the triggers.

Nothing here imports the Prediction model (an import-linter contract keeps it so): the
tally is read and recounted by the modules above, which know both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection, models

from .catalogue import Source, Speaker


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
# A dimension -> its column in the tally; the recount gives its rows the same names.
COLUMN = {d: f"{d}_id" if d in ("speaker", "source") else d for d in NEUTRAL}


def settle() -> None:
    """Fold this transaction's pending tally deltas now, so it reads its own writes (on
    PostgreSQL; elsewhere, and outside a transaction, there is nothing pending). It takes
    the tally and version rows' locks before the commit: only for a transaction that
    reads the tally after writing (the tests', the recount's), not the writers'."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # On the driver's own cursor, past Django's query log: a page's reads run outside a
        # transaction and never settle, so a test's count of a page's queries (made inside
        # the test's transaction) must not count this either.
        with connection.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS predictions_tally_fold IMMEDIATE")
            cursor.execute("SET CONSTRAINTS predictions_tally_fold DEFERRED")


class SettledManager(models.Manager):
    """Every read starts by folding the reader's own pending writes (`settle()`)."""

    def get_queryset(self) -> models.QuerySet:
        settle()
        return super().get_queryset()


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

    objects = SettledManager()

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
    """One row: a token every transaction that writes what the scorecard shows replaces
    (as it commits, on PostgreSQL), and when. The scorecard's cache key, ETag and
    Last-Modified."""

    token = models.CharField(max_length=40)
    changed_at = models.DateTimeField()

    objects = SettledManager()

    class Meta:
        managed = False
        db_table = "predictions_dataversion"

    def __str__(self) -> str:
        return f"{self.token} at {self.changed_at}"


def data_version() -> tuple[str, datetime | None]:
    row = DataVersion.objects.filter(pk=1).values_list("token", "changed_at").first()
    return row if row is not None else ("none", None)
