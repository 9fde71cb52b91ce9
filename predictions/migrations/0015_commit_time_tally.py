"""The tally and the data version are written at COMMIT, not during the transaction
(PostgreSQL; issue 17, "Writes never deadlock or 500").

Before (0008): every statement on predictions_prediction first bumped the one-row
predictions_dataversion, then upserted its tally rows. So every writer held that one row's
lock from its first write to its commit: writers ran one at a time, a bulk decision or a
long import held it for seconds, and a writer holding a prediction's row that then waited
for the version row could deadlock with one that held the version row and then wanted that
prediction (the import against the flag job, two imports at once).

Now:

- The statement triggers (the same functions, new bodies) append their grouped deltas,
  bucketed exactly as before by 0008's SQL (imported, one source of the bucketing), to
  `predictions_tally_pending`, keyed by the transaction's id (`txid_current()`), and insert
  the transaction's row into `predictions_tally_marker` (ON CONFLICT DO NOTHING: one row
  per transaction). The triggers on speakers, sources and stances only insert the marker.
  No row another writer needs is locked: the pending rows and the marker are this
  transaction's own.
- A DEFERRABLE INITIALLY DEFERRED constraint trigger on the marker fires once per
  transaction, at COMMIT: one upsert of the summed deltas into predictions_tally in bucket
  key order (every committer takes tally rows in the same global order), its pending rows
  and marker deleted, then the data version bumped. Those locks are held only across the
  commit itself.
- So a writer locks predictions during its body (in id order where a statement takes many)
  and tally and version rows only at commit, always after every prediction it will hold:
  no wait cycle between writers can form through the tally or the version.

Both new tables are UNLOGGED: a pending row lives no longer than its transaction, and a
crash aborts that transaction anyway. A transaction that reads the tally after writing
(a test inside its transaction, the recount) folds its own deltas first
(`models.tally.settle()`: SET CONSTRAINTS predictions_tally_fold IMMEDIATE, then DEFERRED).

SQLite keeps 0008's row triggers: it serialises writers on the database's lock, so there
is no row lock order to get wrong there. Reversible: backwards restores 0008's bodies.
"""

import importlib

from django.db import migrations

tally = importlib.import_module("predictions.migrations.0008_tally")

PENDING_COLUMNS = f"txid, {tally.COLUMNS}"
KEY = "grain, " + ", ".join(tally.DIMENSIONS) + ", state"
MARK = "INSERT INTO predictions_tally_marker (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;"


def pending_insert(rows):
    """The statement's grouped deltas (0008's bucketing), appended for this transaction."""
    return (
        f"WITH changed AS ({tally.pg_changed(rows)})"
        f" INSERT INTO predictions_tally_pending ({PENDING_COLUMNS})"
        f" SELECT txid_current(), d.* FROM ({tally.grouped_deltas('changed')}) AS d;"
    )


SUMMED = ", ".join(f"sum({s})" for s in tally.SUMS)
ANY_CHANGE = " OR ".join(f"sum({s}) <> 0" for s in tally.SUMS)

FORWARD = [
    f"""
CREATE UNLOGGED TABLE predictions_tally_pending (
    txid bigint NOT NULL,
    grain varchar(10) NOT NULL,
    speaker_id bigint NULL,
    source_id bigint NULL,
    attribution varchar(12) NOT NULL,
    horizon varchar(10) NOT NULL,
    due_year integer NOT NULL,
    probability_bin smallint NOT NULL,
    state varchar(20) NOT NULL,
    n integer NOT NULL,
    n_probability integer NOT NULL,
    probability_sum bigint NOT NULL,
    probability_squares bigint NOT NULL
);
CREATE INDEX predictions_tally_pending_txid ON predictions_tally_pending (txid);
CREATE UNLOGGED TABLE predictions_tally_marker (txid bigint PRIMARY KEY);
CREATE FUNCTION predictions_tally_fold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO predictions_tally AS t ({tally.COLUMNS})
    SELECT {KEY}, {SUMMED} FROM predictions_tally_pending WHERE txid = NEW.txid
    GROUP BY {KEY} HAVING {ANY_CHANGE}
    -- Rows locked in key order: two commits never take tally rows in opposite orders.
    ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
    ON CONFLICT ({tally.CONFLICT.format(null="coalesce")}) DO UPDATE SET {tally.UPDATE_SUMS.format(t="t.")};
    DELETE FROM predictions_tally_pending WHERE txid = NEW.txid;
    DELETE FROM predictions_tally_marker WHERE txid = NEW.txid;
    -- Last, so the one version row is held only from here to the end of the commit.
    {tally.PG_BUMP}
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER predictions_tally_fold AFTER INSERT ON predictions_tally_marker
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION predictions_tally_fold();""",
    *(
        f"CREATE OR REPLACE FUNCTION predictions_tally_{op}() "
        + tally.pg_tally_body(rows, f"{pending_insert(rows)}\n    {MARK}")
        for op, (rows, _) in tally.PG_TRIGGERS.items()
    ),
    f"""
CREATE OR REPLACE FUNCTION predictions_tally_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Everything is gone, this transaction's earlier deltas with it.
    DELETE FROM predictions_tally_pending WHERE txid = txid_current();
    DELETE FROM predictions_tally;
    {MARK}
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION predictions_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {MARK}
    RETURN NULL;
END
$$;""",
]

BACKWARD = [
    *(
        f"CREATE OR REPLACE FUNCTION predictions_tally_{op}() " + tally.pg_tally_body(rows)
        for op, (rows, _) in tally.PG_TRIGGERS.items()
    ),
    f"""
CREATE OR REPLACE FUNCTION predictions_tally_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {tally.PG_BUMP}
    DELETE FROM predictions_tally;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION predictions_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {tally.PG_BUMP}
    RETURN NULL;
END
$$;""",
    "SET CONSTRAINTS ALL IMMEDIATE;",  # fold what this transaction still holds pending
    "DROP TRIGGER IF EXISTS predictions_tally_fold ON predictions_tally_marker;",
    "DROP FUNCTION IF EXISTS predictions_tally_fold();",
    "DROP TABLE IF EXISTS predictions_tally_marker;",
    "DROP TABLE IF EXISTS predictions_tally_pending;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("predictions", "0014_archived_copy"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
