"""A write that lost a race with another is run again, and only then refused in words.

On PostgreSQL two transactions that lock the same rows in opposite orders (a decision locks
its prediction and then the tally's and the data version's rows, which every decision
shares) end with one of them cancelled: `deadlock detected`, or a serialization failure or
lock timeout. Nothing of the cancelled one was written, so running it again is safe and
almost always succeeds; a user sees neither a 500 nor a traceback. The writers also lock
their predictions first and in id order (`decisions.resolve_many`), which removes the cycle
among the predictions themselves; what stays shared is the tally and version rows.

What remains (issue 17): the data version is one hot row every write updates, so
concurrent writers queue on it; see the issue's closing note.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

T = TypeVar("T")

# SQLSTATEs of a lost race: deadlock_detected, serialization_failure, lock_not_available.
LOST_RACE = frozenset({"40P01", "40001", "55P03"})
ATTEMPTS = 4
TRY_AGAIN = "The database was busy with other writes at the same moment and nothing was recorded; try again."


class LostRace(Exception):
    """Every attempt lost its race; nothing was written."""


def lost_race(error: BaseException) -> bool:
    cause = error.__cause__ or error
    return isinstance(error, OperationalError) and getattr(cause, "sqlstate", None) in LOST_RACE


def retried(write: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """`write()` (one whole transaction), run again after a lost race, up to `attempts`
    times with a short random pause; then LostRace. Inside an outer transaction a lost race
    cancelled the outer one too, so it is left to the outermost writer to run again."""
    if connection.in_atomic_block:
        return write()
    for attempt in range(attempts):
        try:
            return write()
        except OperationalError as error:
            if not lost_race(error):
                raise
            if attempt == attempts - 1:
                raise LostRace(TRY_AGAIN) from error
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # noqa: S311 - jitter, not secrets
    raise AssertionError("unreachable")
