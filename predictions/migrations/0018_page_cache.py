"""The table of the `pages` cache (config/settings.py, predictions/caching.py): the rendered
scorecard pages, one copy for every worker process and host that share this database, when
no Redis is configured. The same table `manage.py createcachetable` makes for Django's
database cache, made here so that `migrate`, which every start runs, is all a deployment
needs; it exists whatever CACHES says, and an unused one is an empty table."""

from __future__ import annotations

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "predictions_page_cache"


def create(apps: object, schema_editor: object) -> None:
    # Creates it if missing (a database where createcachetable already ran keeps its table).
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps: object, schema_editor: object) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("predictions", "0017_topics")]

    operations = [migrations.RunPython(create, drop)]
