"""Who says things and where: speakers and sources."""

from __future__ import annotations

from django.db import models

from .choices import SourceKind


class Speaker(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    bio = models.CharField(max_length=500, blank=True, help_text="Short bio or affiliation.")
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.PODCAST)
    url = models.URLField(blank=True)
    published_on = models.DateField()

    class Meta:
        ordering = ["-published_on", "title"]

    def __str__(self) -> str:
        return self.title
