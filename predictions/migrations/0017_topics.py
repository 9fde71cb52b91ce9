"""Topics (issue 22): the vocabulary, a prediction's topics (the many-to-many's own table,
predictions_prediction_topics, which SQLite creates without rebuilding
predictions_prediction, so its tally triggers stay: tests/test_tally.py checks they are
there), and a subscription to a topic instead of a speaker. Then, in SQL:

- the (topic, prediction) index: a topic's predictions read from the index alone (a topic's
  page, ?topic= on the record, the scorecard and the API);
- the data version bumped by a write to either new table, as 0008 does for speakers,
  sources and stances, since the topic pages and the scorecard by topic are cached under it;
- on PostgreSQL a GIN index of the claims' full text, which the record's search (`?q=`,
  predictions/record.py) reads instead of scanning the table.
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


# The record's search: to_tsvector('english', claim) @@ websearch_to_tsquery(...) reads this.
SEARCH_CONFIG = "english"
VERSIONED = ("predictions_topic", "predictions_prediction_topics")
BY_TOPIC = (
    "CREATE INDEX prediction_topic_by_topic ON predictions_prediction_topics (topic_id, prediction_id);"
)
PG_FORWARD = [
    BY_TOPIC,
    "CREATE INDEX prediction_claim_search ON predictions_prediction"
    f" USING gin (to_tsvector('{SEARCH_CONFIG}', claim));",
    *(
        f"CREATE TRIGGER predictions_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION predictions_data_changed();"
        for table in VERSIONED
    ),
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS prediction_topic_by_topic;",
    "DROP INDEX IF EXISTS prediction_claim_search;",
    *(f"DROP TRIGGER IF EXISTS predictions_data_changed ON {table};" for table in VERSIONED),
]
SQLITE_BUMP = (
    "UPDATE predictions_dataversion SET token = lower(hex(randomblob(16))),"
    " changed_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = 1;"
)
SQLITE_FORWARD = [
    BY_TOPIC,
    *(
        f"CREATE TRIGGER {table}_data_changed_{op} AFTER {op.upper()} ON {table} BEGIN {SQLITE_BUMP} END;"
        for table in VERSIONED
        for op in ("insert", "update", "delete")
    ),
]
SQLITE_BACKWARD = [
    "DROP INDEX IF EXISTS prediction_topic_by_topic;",
    *(
        f"DROP TRIGGER IF EXISTS {table}_data_changed_{op};"
        for table in VERSIONED
        for op in ("insert", "update", "delete")
    ),
]


def forward(apps, schema_editor):
    statements = {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    statements = {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(
        schema_editor.connection.vendor, []
    )
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("predictions", "0016_known_on_and_panel"),
    ]

    operations = [
        migrations.CreateModel(
            name="Topic",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(max_length=100, unique=True)),
                ("name", models.CharField(max_length=100, unique=True)),
                (
                    "description",
                    models.CharField(
                        blank=True, help_text="One sentence: what belongs here.", max_length=500
                    ),
                ),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.AlterField(
            model_name="subscription",
            name="speaker",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="subscriptions",
                to="predictions.speaker",
            ),
        ),
        migrations.AddField(
            model_name="prediction",
            name="topics",
            field=models.ManyToManyField(
                blank=True,
                help_text="What it is about (the reviewed vocabulary of topics).",
                related_name="predictions",
                to="predictions.topic",
            ),
        ),
        migrations.AddField(
            model_name="subscription",
            name="topic",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="subscriptions",
                to="predictions.topic",
            ),
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                models.F("topic"),
                name="subscription_one_per_address_and_topic",
            ),
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("speaker__isnull", False), ("topic__isnull", True)),
                    models.Q(("speaker__isnull", True), ("topic__isnull", False)),
                    _connector="OR",
                ),
                name="subscription_speaker_xor_topic",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
