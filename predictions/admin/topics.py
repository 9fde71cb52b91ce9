"""The topics' vocabulary (models/topic.py): a reviewer names a topic once, with its slug
and what belongs in it; the prediction admin picks from these (autocomplete)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from ..models import Topic
from .access import StaffMayReadMixin


@admin.register(Topic)
class TopicAdmin(StaffMayReadMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "predictions_count", "page"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        return super().get_queryset(request).annotate(n=Count("predictions"))

    @admin.display(description="Predictions", ordering="n")
    def predictions_count(self, topic: Topic) -> int:
        return topic.n

    @admin.display(description="Public page")
    def page(self, topic: Topic) -> str:
        return format_html('<a href="{}">{}</a>', topic.get_absolute_url(), topic.get_absolute_url())
