"""Archived copies of the evidence a decision cites (`predictions/archiving.py` fetches them).

One row per link of a history row: fetched once, its body, content type, size, SHA-256
and when, or why it failed and how often it was tried. A copy is never changed after it
was fetched, so what a reviewer saw stays what a reader can download.
"""

from __future__ import annotations

from django.db import models

from .history import Event

# How many times a link is fetched before its failure stands (archiving.py tries again).
ARCHIVE_ATTEMPTS = 3


class ArchiveStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be fetched"
    FETCHED = "fetched", "Archived"
    FAILED = "failed", "Could not be archived"


class ArchivedCopy(models.Model):
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="archived_copies")
    url = models.URLField(max_length=2000)
    status = models.CharField(max_length=10, choices=ArchiveStatus.choices, default=ArchiveStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    final_url = models.URLField(max_length=2000, blank=True, help_text="Where the redirects ended.")
    content_type = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    external_url = models.URLField(max_length=2000, blank=True, help_text="A copy in an external archive.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "url"], name="archived_copy_once_per_link")]

    def __str__(self) -> str:
        return f"copy of {self.url}"

    @property
    def will_be_retried(self) -> bool:
        return self.status == ArchiveStatus.FAILED and self.attempts < ARCHIVE_ATTEMPTS
