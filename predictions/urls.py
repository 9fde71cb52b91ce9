from django.urls import path

from . import export_views, views

urlpatterns = [
    # The public scorecard is the site's home page.
    path("", views.scorecard, name="home"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("speakers/<slug:slug>/", views.speaker_detail, name="speaker"),
    path("unattributed/", views.unattributed, name="unattributed"),
    path("predictions/<int:pk>/", views.prediction_detail, name="prediction-detail"),
    # Resolution history downloads; an unknown format gets a clear 400.
    path("export/schema.json", export_views.schema, name="export-schema"),
    path("export/resolutions.<str:fmt>", export_views.resolutions, name="export-resolutions"),
]
