from django.urls import path
from django.views.decorators.http import conditional_page

from . import (
    api,
    archive_views,
    calendars,
    challenge_views,
    export_views,
    feeds,
    follow_views,
    record_views,
    share_views,
    views,
)
from .throttle import throttled

# A calendar after a write is rendered afresh (streamed, cached under the data version):
# counted like the API's requests (API_ANON_RATE per client address), in a count of its own.
calendar_view = throttled("calendar")

urlpatterns = [
    # The public scorecard is the site's home page.
    path("", views.scorecard, name="home"),
    path("scorecard/", views.scorecard, name="scorecard"),
    # The scorecard's long tables, each a page of its own (the tabs under its filters).
    path(
        "scorecard/speakers/", views.scorecard_view("scorecard-all-speakers"), name="scorecard-all-speakers"
    ),
    path("scorecard/horizons/", views.scorecard_view("scorecard-horizons"), name="scorecard-horizons"),
    path("scorecard/stances/", views.scorecard_view("scorecard-stances"), name="scorecard-stances"),
    path("scorecard/coming-due/", views.scorecard_view("scorecard-coming-due"), name="scorecard-coming-due"),
    path("scorecard/timeline/", views.scorecard_view("scorecard-timeline"), name="scorecard-timeline"),
    path(
        "scorecard/calibration/", views.scorecard_view("scorecard-calibration"), name="scorecard-calibration"
    ),
    # The scorecard menus' search (static/predictions/picker.js).
    path("scorecard/speakers.json", views.picker_search, {"kind": "speakers"}, name="scorecard-speakers"),
    path("scorecard/sources.json", views.picker_search, {"kind": "sources"}, name="scorecard-sources"),
    path("speakers/<slug:slug>/", views.speaker_detail, name="speaker"),
    path("unattributed/", views.unattributed, name="unattributed"),
    # The record: every prediction, filtered, searched, paged by cursor; sources and topics.
    path("predictions/", record_views.record, name="record"),
    path("sources/", record_views.source_list, name="sources"),
    path("sources/<slug:slug>/", record_views.source_detail, name="source"),
    path("topics/", record_views.topic_list, name="topics"),
    path("topics/<slug:slug>/", record_views.topic_detail, name="topic"),
    path("predictions/<int:pk>/", views.prediction_detail, name="prediction-detail"),
    # The archived copy of a decision's evidence link, as an inert download.
    path("archive/<int:pk>/", archive_views.archived_copy, name="archived-copy"),
    # A reader contests a recorded outcome; shown with a reviewer's answer, never before.
    path("predictions/<int:pk>/challenge/", challenge_views.challenge, name="challenge"),
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
    # Pictures for sharing (OpenGraph) and a badge to embed, drawn once per data version.
    path("scorecard/share.png", share_views.scorecard_image, name="share-scorecard"),
    path("speakers/<slug:slug>/share.png", share_views.speaker_image, name="share-speaker"),
    path("predictions/<int:pk>/share.png", share_views.prediction_image, name="share-prediction"),
    path("speakers/<slug:slug>/badge.svg", share_views.speaker_badge, name="badge-speaker"),
    # Follow a speaker or a topic by e-mail: sign up, confirm (a signed link), unsubscribe (one click).
    path("speakers/<slug:slug>/follow/", follow_views.follow, name="follow"),
    path("topics/<slug:slug>/follow/", follow_views.follow_topic, name="follow-topic"),
    path("follow/confirm/<str:token>/", follow_views.confirm, name="follow-confirm"),
    path("follow/unsubscribe/<str:token>/", follow_views.unsubscribe, name="follow-unsubscribe"),
]
