"""The prediction tracker's data: who said what would happen, by when, and every decision since.

A prediction's current status and outcome live on the prediction; every change to them is
also an `Event` row, written in the same transaction (see `decisions.py` and `tasks.py`).
Events are append-only: the model refuses updates and deletes, and database triggers
(migration 0002) refuse them for any other path too. The scorecard's counts are kept by
other triggers in `TallyRow` (migration 0008, `tally.py`).
"""

from .archive import ARCHIVE_ATTEMPTS, ArchivedCopy, ArchiveStatus
from .candidate import Candidate, CandidateStatus
from .catalogue import Source, Speaker
from .challenge import CHALLENGE_REASON_MAX, Challenge, ChallengeQuerySet, ChallengeStatus
from .choices import (
    ATTESTED,
    ATTRIBUTED,
    LONG_TERM_YEARS,
    MEDIUM_TERM_YEARS,
    RESOLVE_PERMISSION,
    SPEAKER_OR_NEITHER,
    UNATTRIBUTED,
    UNATTRIBUTED_LABEL,
    Attribution,
    Horizon,
    Outcome,
    SourceKind,
    StanceKind,
    Status,
    UnresolvableReason,
    add_years,
    default_due_on,
    speaker_agrees,
)
from .following import Subscription, SubscriptionQuerySet
from .history import (
    FOLLOW_JOB_NAME,
    FOLLOW_TASK_FUNC,
    JOB_LATE_AFTER,
    JOB_NAME,
    TASK_FUNC,
    AppendOnlyError,
    Event,
    EventKind,
    EventQuerySet,
    JobRun,
)
from .prediction import (
    CLAIM_MAX,
    CRITERIA_MAX,
    MAX_TIMESTAMP,
    NOTE_MAX,
    QUOTE_MAX,
    Prediction,
    PredictionQuerySet,
    Stance,
)
from .tally import DataVersion, Grain, TallyRow, data_version
from .topic import Topic

# A prediction in a topic: the many-to-many's own table, for reading it without a join.
PredictionTopic = Prediction.topics.through

__all__ = [
    "ATTESTED", "ATTRIBUTED", "CLAIM_MAX", "CRITERIA_MAX", "MAX_TIMESTAMP", "JOB_LATE_AFTER", "JOB_NAME", "TASK_FUNC", "FOLLOW_JOB_NAME", "FOLLOW_TASK_FUNC", "NOTE_MAX", "QUOTE_MAX", "LONG_TERM_YEARS", "MEDIUM_TERM_YEARS",
    "RESOLVE_PERMISSION", "SPEAKER_OR_NEITHER", "UNATTRIBUTED", "UNATTRIBUTED_LABEL", "AppendOnlyError", "Attribution",
    "Candidate", "CandidateStatus", "DataVersion", "Grain", "TallyRow", "data_version", "Event", "EventKind", "EventQuerySet", "Horizon", "JobRun", "Outcome", "Prediction",
    "PredictionQuerySet", "Source", "SourceKind", "Speaker", "Stance", "StanceKind", "Status", "Subscription", "CHALLENGE_REASON_MAX", "Challenge", "ChallengeQuerySet", "ChallengeStatus", "ARCHIVE_ATTEMPTS", "ArchivedCopy", "ArchiveStatus", "SubscriptionQuerySet", "Topic", "PredictionTopic",
    "UnresolvableReason", "add_years", "default_due_on", "speaker_agrees",
]  # fmt: skip
