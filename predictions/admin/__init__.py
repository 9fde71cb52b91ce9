"""Admin registrations, one module per job: the predictions and their review queue
(`predictions.py`), deciding on one prediction (`decide.py`) or several (`bulk.py`), the
history inline (`history.py`), the queue's filters (`filters.py`), who may do what
(`access.py`), the candidates proposed by an ingest (`candidates.py`), readers' challenges
(`challenges.py`), the topics' vocabulary (`topics.py`) and the admin's own name (`site.py`)."""

from . import candidates, challenges, site, topics
from .predictions import PredictionAdmin, SourceAdmin, SpeakerAdmin

__all__ = ["PredictionAdmin", "SourceAdmin", "SpeakerAdmin", "candidates", "challenges", "site", "topics"]
