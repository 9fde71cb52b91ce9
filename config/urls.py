from django.contrib import admin
from django.urls import include, path

from predictions.healthz import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("predictions.urls")),
]

# An unreachable database met outside a view is a 503 page too (see predictions/middleware.py).
handler500 = "predictions.middleware.server_error"
