"""The "Reviewers" group, holding the permission to record and change outcomes."""

from django.db import migrations

GROUP = "Reviewers"


PERMISSIONS = [
    ("prediction", "resolve_prediction", "Can record and change prediction outcomes"),
    ("prediction", "view_prediction", "Can view prediction"),
    ("event", "view_event", "Can view event"),
    ("speaker", "view_speaker", "Can view speaker"),
    ("source", "view_source", "Can view source"),
]


def forward(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); make the
    # ones the group needs now, the same rows post_migrate would make, so that a fresh
    # database has a usable group. get_or_create keeps post_migrate's later pass harmless.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for model, codename, name in PERMISSIONS:
        ct, _ = ContentType.objects.get_or_create(app_label="predictions", model=model)
        perm, _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
        group.permissions.add(perm)


def backward(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("predictions", "0002_event_append_only_triggers"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, backward)]
