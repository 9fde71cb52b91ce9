"""The review queue's filters, each boundary pinned: what "open", "in the next 90 days" and
"after this year" keep and leave out."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client

from predictions.models import Status

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 29)


def listed(client: Client, query: str) -> set[str]:
    response = client.get(f"/admin/predictions/prediction/?{query}")
    assert response.status_code == 200
    return {p.key for p in response.context["cl"].result_list}


def test_open_lists_predictions_waiting_for_their_due_date_but_not_deferred_ones(
    alice_client, make_prediction
):
    make_prediction(key="waiting", due_on=date(2027, 6, 30))
    make_prediction(key="deferred", due_on=date(2026, 6, 30), review_after=date(2027, 2, 1))
    make_prediction(key="due", due_on=date(2026, 6, 30), status=Status.DUE)
    assert listed(alice_client, "status=open") == {"waiting"}
    assert listed(alice_client, "status=deferred") == {"deferred"}


@time_machine.travel(TODAY, tick=False)
def test_the_next_90_days_run_from_today_to_the_90th_day(alice_client, make_prediction):
    make_prediction(key="today", due_on=TODAY, stated_on=date(2026, 1, 1))
    make_prediction(key="day-10", due_on=date(2026, 12, 9), stated_on=date(2026, 1, 1))
    make_prediction(key="day-90", due_on=date(2027, 2, 27), stated_on=date(2026, 1, 1))
    make_prediction(key="day-91", due_on=date(2027, 2, 28), stated_on=date(2026, 1, 1))
    make_prediction(key="yesterday", due_on=date(2026, 11, 28), stated_on=date(2026, 1, 1))
    assert listed(alice_client, "status=all&due=90d") == {"today", "day-10", "day-90"}


@time_machine.travel(TODAY, tick=False)
def test_after_this_year_starts_on_the_first_of_january(alice_client, make_prediction):
    make_prediction(key="new-years-eve", due_on=date(2026, 12, 31), stated_on=date(2026, 1, 1))
    make_prediction(key="new-year", due_on=date(2027, 1, 1), stated_on=date(2026, 1, 1))
    assert listed(alice_client, "status=all&due=later") == {"new-year"}
    assert listed(alice_client, "status=all&due=year") == {"new-years-eve"}
