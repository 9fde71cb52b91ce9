from django.apps import AppConfig


class PredictionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "predictions"
    verbose_name = "Predictions"

    def ready(self) -> None:
        # Registers the system checks; no queries here (nothing may touch the database
        # at start-up).
        from . import checks  # noqa: F401

        # The Candidates admin registers itself here, beside (not inside) the predictions
        # admin module.
        from . import admin_candidates  # noqa: F401
