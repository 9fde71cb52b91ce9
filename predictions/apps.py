from django.apps import AppConfig


class PredictionsConfig(AppConfig):
    name = "predictions"
    verbose_name = "Predictions"

    def ready(self) -> None:
        # Registers the system checks; no queries here (nothing may touch the database at
        # start-up).
        # Connects the evidence archiver to new history rows (archiving.py).
        from . import (
            archiving,  # noqa: F401
            checks,  # noqa: F401
        )
