"""When an outcome became known, and a panel's proposed and disputed outcomes (issue 20).

- `known_on` on the history row and on the prediction: nullable with no default, so SQLite
  adds each column in place (ALTER TABLE ADD COLUMN) and the events table keeps its
  append-only triggers (0002, 0007).
- Two statuses, `proposed` and `disputed` (settings.REVIEW_QUORUM = 2), and two kinds of
  history row: choices only, no SQL, except the prediction's `prediction_status_valid` CHECK.
  Changing that CHECK makes SQLite rebuild predictions_prediction, which drops its triggers
  (the tally's of 0008, the bounds of 0009): they are read from sqlite_master before and
  created again, as they were, after. PostgreSQL alters the constraint in place.

The tally needs no change: it buckets a row by its outcome only when `resolved`, else by its
status, so a proposed or disputed prediction (whose outcome column is empty) is counted as
exactly that, never as an outcome.
"""

from django.db import migrations, models

STATUS_CHOICES = [
    ("open", "Open"),
    ("due", "Due for review"),
    ("resolved", "Resolved"),
    ("proposed", "Outcome proposed"),
    ("disputed", "Outcome disputed"),
]
KIND_CHOICES = [
    ("flagged", "Flagged due for review"),
    ("resolved", "Resolved"),
    ("re_resolved", "Re-resolved"),
    ("deferred", "Deferred"),
    ("reopened", "Reopened"),
    ("accepted", "Accepted from a candidate"),
    ("attributed", "Attribution changed"),
    ("edited", "Details changed"),
    ("proposed", "Outcome proposed"),
    ("disputed", "Outcome disputed"),
]
TABLE = "predictions_prediction"
# The triggers read before the rebuild, by database alias, for after it.
_saved: dict[str, list[tuple[str, str]]] = {}


def _triggers(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        return cursor.fetchall()


def save_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _saved[schema_editor.connection.alias] = _triggers(schema_editor)


def restore_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    present = {name for name, _ in _triggers(schema_editor)}
    for name, sql in _saved.pop(schema_editor.connection.alias, []):
        if name not in present:
            schema_editor.execute(sql, params=None)


def status_valid(values):
    return models.CheckConstraint(condition=models.Q(status__in=values), name="prediction_status_valid")


class Migration(migrations.Migration):
    dependencies = [
        ("predictions", "0015_commit_time_tally"),
    ]

    operations = [
        migrations.RunPython(save_triggers, restore_triggers),
        migrations.RemoveConstraint(model_name="prediction", name="prediction_status_valid"),
        migrations.AddConstraint(
            model_name="prediction", constraint=status_valid([value for value, _ in STATUS_CHOICES])
        ),
        migrations.RunPython(restore_triggers, save_triggers),
        migrations.AddField(
            model_name="event",
            name="known_on",
            field=models.DateField(blank=True, help_text="When the outcome became known.", null=True),
        ),
        migrations.AddField(model_name="prediction", name="known_on", field=models.DateField(blank=True, null=True)),
        migrations.AlterField(
            model_name="event", name="from_status", field=models.CharField(choices=STATUS_CHOICES, max_length=10)
        ),
        migrations.AlterField(
            model_name="event", name="to_status", field=models.CharField(choices=STATUS_CHOICES, max_length=10)
        ),
        migrations.AlterField(
            model_name="event", name="kind", field=models.CharField(choices=KIND_CHOICES, max_length=20)
        ),
        migrations.AlterField(
            model_name="prediction",
            name="status",
            field=models.CharField(choices=STATUS_CHOICES, default="open", max_length=10),
        ),
    ]
