from django.apps import AppConfig


class PredictionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "predictions"
    verbose_name = "Predictions"

    def ready(self) -> None:
        # Registers the system checks, and the Candidates admin beside (not inside) the
        # predictions admin module; no queries here (nothing may touch the database at
        # start-up).
        from . import admin_candidates, checks  # noqa: F401
