from django.urls import path
from django.views.decorators.http import conditional_page

from . import api, calendars, export_views, feeds, views
from .throttle import throttled

# A calendar after a write is rendered afresh (streamed, cached under the data version):
# counted like the API's requests (API_ANON_RATE per client address), in a count of its own.
calendar_view = throttled("calendar")

urlpatterns = [
    # The public scorecard is the site's home page.
    path("", views.scorecard, name="home"),
    path("scorecard/", views.scorecard, name="scorecard"),
    # The scorecard menus' search (static/predictions/picker.js).
    path("scorecard/speakers.json", views.picker_search, {"kind": "speakers"}, name="scorecard-speakers"),
    path("scorecard/sources.json", views.picker_search, {"kind": "sources"}, name="scorecard-sources"),
    path("speakers/<slug:slug>/", views.speaker_detail, name="speaker"),
    path("unattributed/", views.unattributed, name="unattributed"),
    path("predictions/<int:pk>/", views.prediction_detail, name="prediction-detail"),
    # Resolution history downloads; an unknown format gets a clear 400.
    path("export/schema.json", export_views.schema, name="export-schema"),
    path("export/resolutions.<str:fmt>", export_views.resolutions, name="export-resolutions"),
    # The public read-only API, its OpenAPI schema (/api/openapi.json) and docs (/api/docs).
    path("api/", api.urls()),
    # Subscriptions: calendars of due dates, Atom feeds of decisions.
    path("calendar.ics", calendar_view(calendars.all_predictions), name="calendar"),
    path("speakers/<slug:slug>/calendar.ics", calendar_view(calendars.speaker), name="calendar-speaker"),
    path("unattributed/calendar.ics", calendar_view(calendars.unattributed), name="calendar-unattributed"),
    path("sources/<slug:slug>/calendar.ics", calendar_view(calendars.source), name="calendar-source"),
    path("feeds/resolved.atom", conditional_page(feeds.ResolvedFeed()), name="feed-resolved"),
    path(
        "speakers/<slug:slug>/feed.atom", conditional_page(feeds.SpeakerResolvedFeed()), name="feed-speaker"
    ),
]
