"""Topics: a small, reviewed vocabulary of what predictions are about ("open models",
"compute", "software engineering", ...), each prediction in any number of them.

A model of our own rather than free tags (django-taggit): a topic has a page, a feed of
outcomes by e-mail and its own scorecard, so "open-models" and "open models" must never be
two topics. A new topic comes in through the import file or the admin, where it is named
once with its slug and description (docs/decisions.md, "Topics are a reviewed vocabulary").
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse


class Topic(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=500, blank=True, help_text="One sentence: what belongs here.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("topic", args=[self.slug])


class PredictionTopic(models.Model):
    """A prediction in a topic: the through table, with the index each direction reads."""

    # db_index=False: the two composite indexes below serve both directions; Django's own
    # one-column indexes would only be written, never read.
    prediction = models.ForeignKey("Prediction", on_delete=models.CASCADE, db_index=False)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, db_index=False)

    class Meta:
        constraints = [
            # Also the index for "this prediction's topics" (the record's rows, the API).
            models.UniqueConstraint(fields=["prediction", "topic"], name="prediction_topic_unique"),
        ]
        indexes = [
            # A topic's page, ?topic= on the record, the scorecard and the speaker pages: the
            # topic's predictions read from the index alone, never the whole through table.
            models.Index(fields=["topic", "prediction"], name="prediction_topic_by_topic"),
        ]

    def __str__(self) -> str:
        return f"{self.prediction_id} in {self.topic_id}"
