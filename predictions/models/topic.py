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
