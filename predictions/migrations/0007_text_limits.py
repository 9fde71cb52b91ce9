"""Text limits in the database too (models.CLAIM_MAX and friends; docs/operating.md, "Bad input").

Prediction: CHECK constraints on the length of claim, quote and resolution criteria.
Event: the note's limit is a trigger on SQLite and a CHECK added in SQL on PostgreSQL,
not a model constraint: adding a constraint through the ORM makes SQLite rebuild the
table, which would drop the append-only triggers of migration 0002. For the same reason
the fields' new max_length (a form and validation attribute; a TextField's column does not
change) is recorded in the migration state only.
"""

import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models

NOTE_MAX = 5000  # models.NOTE_MAX when this migration was written

PG_FORWARD = f"""
ALTER TABLE predictions_event ADD CONSTRAINT event_note_length CHECK (char_length(note) <= {NOTE_MAX});
"""
PG_BACKWARD = "ALTER TABLE predictions_event DROP CONSTRAINT IF EXISTS event_note_length;"
SQLITE_FORWARD = f"""
CREATE TRIGGER predictions_event_note_length BEFORE INSERT ON predictions_event
WHEN length(NEW.note) > {NOTE_MAX}
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: event_note_length');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS predictions_event_note_length;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


def state_only(model_name, name, field):
    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=name, field=field)]
    )


def length_at_most(name, limit):
    return models.CheckConstraint(
        condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length(name), limit),
        name=f"prediction_{name}_length",
    )


class Migration(migrations.Migration):
    dependencies = [("predictions", "0006_candidate")]

    operations = [
        state_only("event", "note", models.TextField(blank=True, max_length=5000)),
        state_only("prediction", "claim", models.TextField(help_text="One testable sentence.", max_length=1000)),
        state_only(
            "prediction",
            "quote",
            models.TextField(blank=True, help_text="The words or paraphrase as the source has it.", max_length=5000),
        ),
        state_only(
            "prediction",
            "resolution_criteria",
            models.TextField(help_text="What would count as holding up.", max_length=2000),
        ),
        migrations.AddConstraint(model_name="prediction", constraint=length_at_most("claim", 1000)),
        migrations.AddConstraint(model_name="prediction", constraint=length_at_most("quote", 5000)),
        migrations.AddConstraint(model_name="prediction", constraint=length_at_most("resolution_criteria", 2000)),
        migrations.RunPython(forward, backward),
    ]
