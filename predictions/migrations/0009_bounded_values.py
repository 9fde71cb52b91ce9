"""Bounds every entry agrees on, in the database too (issue 17).

A transcript time over models.MAX_TIMESTAMP could be stored through ingest and the admin,
and then every page of `/api/predictions` failed its own schema for everyone. A CHECK on
PostgreSQL and a trigger on SQLite (as migration 0007 did for the note: a constraint added
through the ORM makes SQLite rebuild the table and drop the tally triggers of 0008), and
the fields' validators and a candidate's text limits in the migration state only.

Rows already over the bound are not changed (nobody's data is rewritten by a migration):
the migration stops and names them, to be corrected in the admin first.
"""

import django.core.validators
from django.db import migrations, models

MAX_TIMESTAMP = 2_000_000_000  # models.MAX_TIMESTAMP when this migration was written
CLAIM_MAX, QUOTE_MAX, CRITERIA_MAX = 1_000, 5_000, 2_000
TABLES = ("prediction", "candidate", "stance")


def refuse_rows_over(apps, schema_editor):
    over = []
    for name in TABLES:
        model = apps.get_model("predictions", name)
        over += [
            f"{name} #{pk}"
            for pk in model.objects.filter(source_timestamp__gt=MAX_TIMESTAMP).values_list("pk", flat=True)[
                :20
            ]
        ]
    if over:
        raise RuntimeError(
            f"source_timestamp over {MAX_TIMESTAMP:,} seconds in {', '.join(over)}: "
            "correct these in the admin, then migrate again."
        )


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name in TABLES:
        table, check = f"predictions_{name}", f"{name}_source_timestamp_max"
        if vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK (source_timestamp <= {MAX_TIMESTAMP})"
            )
        elif vendor == "sqlite":
            for when in ("INSERT", "UPDATE OF source_timestamp"):
                schema_editor.execute(
                    f"CREATE TRIGGER {check}_{when.split()[0].lower()} BEFORE {when} ON {table} "
                    f"WHEN NEW.source_timestamp > {MAX_TIMESTAMP} "
                    f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {check}'); END"
                )


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name in TABLES:
        table, check = f"predictions_{name}", f"{name}_source_timestamp_max"
        if vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check}")
        elif vendor == "sqlite":
            for when in ("insert", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {check}_{when}")


def state_only(model_name, name, field):
    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=name, field=field)]
    )


def bounded(help_text=None):
    kwargs = {"help_text": help_text} if help_text else {}
    return models.PositiveIntegerField(
        blank=True, null=True, validators=[django.core.validators.MaxValueValidator(MAX_TIMESTAMP)], **kwargs
    )


def text(limit, **kwargs):
    return models.TextField(
        max_length=limit, validators=[django.core.validators.MaxLengthValidator(limit)], **kwargs
    )


class Migration(migrations.Migration):
    dependencies = [("predictions", "0008_tally")]

    operations = [
        state_only("prediction", "source_timestamp", bounded("Seconds into the recording, when known.")),
        state_only("stance", "source_timestamp", bounded()),
        state_only(
            "candidate", "source_timestamp", bounded("Seconds into the recording of the matching passage.")
        ),
        state_only(
            "candidate",
            "text",
            models.TextField(
                help_text="The sentence or bullet as the document has it.", max_length=QUOTE_MAX
            ),
        ),
        state_only(
            "candidate",
            "claim",
            models.TextField(
                help_text="Editable; becomes the prediction's claim (at most 1,000 characters) when accepted.",
                max_length=QUOTE_MAX,
            ),
        ),
        state_only("prediction", "claim", text(CLAIM_MAX, help_text="One testable sentence.")),
        state_only(
            "prediction",
            "quote",
            text(QUOTE_MAX, blank=True, help_text="The words or paraphrase as the source has it."),
        ),
        state_only(
            "prediction",
            "resolution_criteria",
            text(CRITERIA_MAX, help_text="What would count as holding up."),
        ),
        # One Q for the rule, as a prediction's (models.choices.speaker_iff_attributed): the
        # same rows pass, and the candidate table has no trigger a SQLite rebuild would drop
        # (this migration's own are created after it).
        migrations.RemoveConstraint(model_name="candidate", name="candidate_speaker_iff_attributed"),
        migrations.AddConstraint(
            model_name="candidate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("speaker__isnull", True), ("attribution", "unattributed")),
                    models.Q(("speaker__isnull", False), ("attribution__in", ["named", "transcript", "inferred"])),
                    _connector="OR",
                ),
                name="candidate_speaker_iff_attributed",
            ),
        ),
        migrations.RunPython(refuse_rows_over, migrations.RunPython.noop),
        migrations.RunPython(forward, backward),
    ]
