"""The scorecard's "Recently resolved" by when each outcome became known (issue 22): the
index it walks backwards is (known_on, resolved_at, id) of the resolved predictions, in
place of (resolved_at, id), which nothing else read. The latest known outcomes are its top
end; those recorded before outcomes said when they became known are its NULLs, in the
order they were recorded (scorecard.recently_resolved). Both are plain DROP and CREATE
INDEX on SQLite (no table rebuild, so the triggers stay).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("predictions", "0018_page_cache")]

    operations = [
        migrations.RemoveIndex(model_name="prediction", name="prediction_recently_resolved"),
        migrations.AddIndex(
            model_name="prediction",
            index=models.Index(
                condition=models.Q(("status", "resolved")),
                fields=["known_on", "resolved_at", "id"],
                name="prediction_recently_known",
            ),
        ),
    ]
