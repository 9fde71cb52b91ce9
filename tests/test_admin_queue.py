"""The review queue: what it lists, in which order, its filters and search, and a query count
that does not grow with the table."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from predictions.admin import PredictionAdmin
from predictions.models import (
    Outcome,
    Prediction,
    Speaker,
    Status,
)
from tests.admin_support import CHANGELIST

pytestmark = pytest.mark.django_db


# --- the queue ---------------------------------------------------------------------------------


def test_the_list_opens_on_the_review_queue_oldest_due_first(
    alice_client: Client, make_due: Any, make_prediction: Any
) -> None:
    later = make_due(due_on=date(2026, 3, 1))
    oldest = make_due(due_on=date(2025, 6, 30))
    middle = make_due(due_on=date(2025, 12, 31))
    make_prediction(status=Status.OPEN)
    make_prediction(status=Status.RESOLVED, outcome=Outcome.HELD_UP)

    response = alice_client.get(CHANGELIST)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [oldest, middle, later]


def test_a_reviewer_can_choose_all_statuses(
    alice_client: Client, make_due: Any, make_prediction: Any
) -> None:
    make_due()
    make_prediction(status=Status.OPEN)
    make_prediction(status=Status.RESOLVED, outcome=Outcome.HELD_UP)

    response = alice_client.get(CHANGELIST, {"status": "all"})

    assert len(response.context["cl"].result_list) == 3
    assert b'href="?status=all"' in response.content


def test_a_link_choosing_a_status_as_a_field_lookup_is_not_narrowed_to_the_queue(
    alice_client: Client, make_due: Any, make_prediction: Any
) -> None:
    due = make_due()
    resolved = make_prediction(status=Status.RESOLVED, outcome=Outcome.HELD_UP)

    assert list(alice_client.get(CHANGELIST, {"status__exact": "resolved"}).context["cl"].result_list) == [
        resolved
    ]
    assert list(alice_client.get(CHANGELIST, {"status__exact": "due"}).context["cl"].result_list) == [due]


def test_the_speaker_filter_offers_the_unattributed_predictions(
    alice_client: Client, make_due: Any, speaker: Speaker
) -> None:
    make_due(speaker=speaker, claim="Ada said this.")
    panel = make_due(speaker=None, claim="Nobody was named for this.")

    response = alice_client.get(CHANGELIST, {"speaker__isnull": "True"})

    assert list(response.context["cl"].result_list) == [panel]
    content = response.content.decode()
    assert "Unattributed (panel)" in content  # the filter choice and the column
    assert "Ada Lovelace" in content  # the filter still offers the named speaker


def test_search_looks_in_claim_quote_and_speaker_name(
    alice_client: Client, make_due: Any, speaker: Speaker
) -> None:
    by_claim = make_due(claim="Open models catch up with closed ones.")
    by_quote = make_due(quote="we will see a $2,000 subscription")
    by_speaker = make_due(speaker=speaker)
    make_due(claim="Something else entirely.")

    def found(q: str) -> list[Prediction]:
        return list(alice_client.get(CHANGELIST, {"q": q}).context["cl"].result_list)

    assert found("closed ones") == [by_claim]
    assert found("subscription") == [by_quote]
    assert found("Lovelace") == [by_speaker]


def test_the_due_date_filter_finds_past_due_predictions(alice_client: Client, make_due: Any) -> None:
    past = make_due(due_on=date(2025, 12, 31))
    make_due(due_on=date(2099, 12, 31))

    response = alice_client.get(CHANGELIST, {"due": "past"})

    assert list(response.context["cl"].result_list) == [past]


@time_machine.travel(date(2026, 11, 28), tick=False)
def test_days_overdue_counts_the_days_since_the_due_date(make_due: Any, make_prediction: Any) -> None:
    model_admin = PredictionAdmin(Prediction, admin.site)
    # 20 November to 28 November: 8 days.
    assert model_admin.days_overdue(make_due(due_on=date(2026, 11, 20))) == 8
    # 31 December 2025 to 28 November 2026: 1 day + 333 days of 2026 before 29 November.
    assert model_admin.days_overdue(make_due(due_on=date(2025, 12, 31))) == 332
    assert model_admin.days_overdue(make_due(due_on=date(2026, 11, 28))) == 0
    assert model_admin.days_overdue(make_prediction(due_on=date(2026, 12, 31))) == "—"
    resolved = make_prediction(due_on=date(2026, 1, 31), status=Status.RESOLVED, outcome=Outcome.HELD_UP)
    assert model_admin.days_overdue(resolved) == "—"


def test_the_list_shows_the_columns_a_reviewer_needs(alice_client: Client, make_due: Any) -> None:
    make_due(speaker=None, claim="A panel claim.", due_on=date(2025, 12, 31))

    content = alice_client.get(CHANGELIST).content.decode()

    for header in ["claim", "speaker", "horizon", "due on", "days overdue", "status", "outcome"]:
        assert f">{header.capitalize()}<" in content or f">{header}<" in content.lower()
    assert "A panel claim." in content
    assert "Unattributed (panel)" in content
    assert "Due for review" in content


# --- large tables ------------------------------------------------------------------------------


def changelist_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(CHANGELIST, {"status": "all"})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_makes_the_same_number_of_queries_for_5_or_50_predictions(
    alice_client: Client, make_due: Any
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            speaker = Speaker.objects.create(
                name=f"Speaker {Speaker.objects.count()}", slug=f"s-{Speaker.objects.count()}"
            )
            make_due(speaker=speaker if i % 2 else None)

    add(5)
    with_5 = changelist_queries(alice_client)
    add(45)
    with_50 = changelist_queries(alice_client)

    assert len(alice_client.get(CHANGELIST, {"status": "all"}).context["cl"].result_list) == 50
    assert with_5 == with_50
    # session, user, the page's rows, its count, the speaker, source and topic filter choices...
    assert with_50 <= 11


def test_the_speaker_picker_answers_a_search_among_thousands_with_one_page(client: Client) -> None:
    client.force_login(User.objects.create_superuser("erin", "erin@example.org", "password"))
    Speaker.objects.bulk_create(Speaker(name=f"Speaker {i:04}", slug=f"speaker-{i:04}") for i in range(2000))

    def pick(term: str) -> dict[str, Any]:
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "predictions", "model_name": "prediction", "field_name": "speaker", "term": term},
        )
        assert response.status_code == 200
        return response.json()

    # Every one matches "Speaker": one page of 20, in name order, and a next page.
    everyone = pick("Speaker")
    assert [r["text"] for r in everyone["results"]][:2] == ["Speaker 0000", "Speaker 0001"]
    assert len(everyone["results"]) == 20
    assert everyone["pagination"]["more"] is True
    assert [r["text"] for r in pick("1234")["results"]] == ["Speaker 1234"]
