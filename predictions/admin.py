"""Admin registrations. The reviewers' workflow (queue, outcome form, history) lives here."""

from django.contrib import admin

from .models import Event, Prediction, Source, Speaker


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "bio"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "published_on"]
    list_filter = ["kind"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}


class EventInline(admin.TabularInline):
    model = Event
    fields = [
        "at",
        "kind",
        "actor_name",
        "from_status",
        "to_status",
        "from_outcome",
        "to_outcome",
        "note",
        "evidence",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ["claim", "speaker", "horizon", "due_on", "status", "outcome"]
    list_select_related = ["speaker"]
    list_filter = ["status", "outcome", "horizon", "speaker", "source"]
    search_fields = ["claim", "quote", "speaker__name"]
    autocomplete_fields = ["speaker", "source"]
    inlines = [EventInline]
