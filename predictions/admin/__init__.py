"""Admin registrations, one module per job: the predictions and their review queue
(`predictions.py`), deciding on one prediction (`decide.py`) or several (`bulk.py`), the
history inline (`history.py`), the queue's filters (`filters.py`), who may do what
(`access.py`) and the candidates proposed by an ingest (`candidates.py`)."""

from . import candidates
from .predictions import PredictionAdmin, SourceAdmin, SpeakerAdmin

__all__ = ["PredictionAdmin", "SourceAdmin", "SpeakerAdmin", "candidates"]
