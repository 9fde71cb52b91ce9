"""A write that lost a race with another is run again, and only then refused in words.

On PostgreSQL a transaction can be cancelled for losing a race: `deadlock detected`, a
serialization failure or a lock timeout. Nothing of the cancelled one was written, so
running it again is safe and almost always succeeds; a user sees neither a 500 nor a
traceback. `retried()` is the one home of that rule: decisions, the flag job and the imports
all run their transactions through it.

Races are also made rare, not only survived: since migration 0011 no writer holds the
tally's or the data version's rows while it works (they are written at COMMIT, in one
global order), and writers lock their predictions first and in id order
(`decisions.resolve_many`, the flag job, the imports), so no wait cycle runs through the
shared rows. What can still collide is two writers' own rows (two imports naming the same
speakers in opposite orders), and two inserts of the same natural key (two imports creating
the same speaker at once: the second fails on the unique index once the first commits,
and run again it finds the row and updates it instead): `INSERT_RACE`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, connection

T = TypeVar("T")

# SQLSTATEs of a lost race: deadlock_detected, serialization_failure, lock_not_available.
LOST_RACE = frozenset({"40P01", "40001", "55P03"})
# ... and, for a writer that inserts rows by a natural key, unique_violation: another
# writer inserted the same key first (only such writers pass it).
INSERT_RACE = LOST_RACE | {"23505"}
ATTEMPTS = 4
TRY_AGAIN = "The database was busy with other writes at the same moment and nothing was recorded; try again."


class LostRace(Exception):
    """Every attempt lost its race; nothing was written."""


def lost_race(error: BaseException, sqlstates: frozenset[str] = LOST_RACE) -> bool:
    cause = error.__cause__ or error
    return isinstance(error, DatabaseError) and getattr(cause, "sqlstate", None) in sqlstates


def retried(write: Callable[[], T], *, attempts: int = ATTEMPTS, sqlstates: frozenset[str] = LOST_RACE) -> T:
    """`write()` (one whole transaction), run again after a lost race (an error with one of
    `sqlstates`), up to `attempts` times with a short random pause; then LostRace. Inside an
    outer transaction a lost race cancelled the outer one too, so it is left to the
    outermost writer to run again."""
    if connection.in_atomic_block:
        return write()
    for attempt in range(attempts):
        try:
            return write()
        except DatabaseError as error:
            if not lost_race(error, sqlstates):
                raise
            if attempt == attempts - 1:
                raise LostRace(TRY_AGAIN) from error
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # noqa: S311 - jitter, not secrets
    raise AssertionError("unreachable")
