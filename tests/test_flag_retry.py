"""The flag job's batch that lost a race with another writer (deadlock detected) is run
again whole by races.retried, not passed to the one-by-one fallback as a failure."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.db import OperationalError

from predictions import races, tasks
from predictions.models import Event, EventKind, Prediction, Status

DUE = date(2026, 6, 30)


class Deadlock(Exception):
    sqlstate = "40P01"


@pytest.mark.django_db(transaction=True)
def test_a_flag_batch_that_lost_a_race_is_run_again_whole(make_prediction) -> None:
    for _ in range(3):
        make_prediction(due_on=DUE)
    real = tasks.insert_like
    calls = {"n": 0}

    def insert_like(*args):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("deadlock detected") from Deadlock()
        return real(*args)

    with (
        mock.patch.object(tasks, "insert_like", insert_like),
        mock.patch.object(tasks, "flag_one", side_effect=AssertionError("fell back to one by one")),
        mock.patch.object(races.time, "sleep"),
    ):
        assert tasks.flag_due(date(2026, 7, 1)) == 3
    assert calls["n"] == 2
    assert Event.objects.filter(kind=EventKind.FLAGGED).count() == 3
    assert set(Prediction.objects.values_list("status", "version")) == {(Status.DUE, 2)}
