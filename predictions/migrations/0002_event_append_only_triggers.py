"""History rows are append-only for every path, not only the ORM's.

PostgreSQL refuses UPDATE and DELETE on predictions_event. SQLite refuses UPDATE; its
DELETE trigger is left out because Django's test flush empties tables with plain DELETE
in an arbitrary order (PostgreSQL's flush uses TRUNCATE, which row triggers don't see),
so on SQLite deletes are refused by the model, its QuerySet and the PROTECT foreign key.
"""

from django.db import migrations

PG_FORWARD = """
CREATE FUNCTION predictions_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- No percent sign here: the SQL goes through a driver that treats it as a placeholder.
    RAISE EXCEPTION USING
        MESSAGE = 'predictions_event is append-only: refused ' || TG_OP || ' of a history row',
        ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER predictions_event_append_only
    BEFORE UPDATE OR DELETE ON predictions_event
    FOR EACH ROW EXECUTE FUNCTION predictions_event_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS predictions_event_append_only ON predictions_event;
DROP FUNCTION IF EXISTS predictions_event_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER predictions_event_no_update BEFORE UPDATE ON predictions_event
BEGIN
    SELECT RAISE(ABORT, 'predictions_event is append-only: history rows cannot be updated');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS predictions_event_no_update;"


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


class Migration(migrations.Migration):
    dependencies = [("predictions", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
