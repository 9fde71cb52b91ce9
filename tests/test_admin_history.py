"""The history in the admin: read-only rows that nothing deletes."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from predictions import decisions
from predictions.decisions import Actor
from predictions.models import (
    Event,
    Outcome,
    Prediction,
)
from tests.admin_support import CHANGELIST, change_url, form_data

pytestmark = pytest.mark.django_db


# --- the history -------------------------------------------------------------------------------


def test_the_history_is_shown_read_only_with_evidence_links(alice_client: Client, make_due: Any) -> None:
    p = make_due()
    decisions.resolve(
        p,
        outcome=Outcome.HELD_UP,
        note="Seen in the report.",
        evidence=["https://example.org/report"],
        actor=Actor(None, "carol"),
    )

    response = alice_client.get(change_url(p))
    content = response.content.decode()

    [inline] = response.context["inline_admin_formsets"]
    assert inline.formset.prefix == "events"
    assert (
        not inline.has_add_permission
        and not inline.has_change_permission
        and not inline.has_delete_permission
    )
    assert '<a href="https://example.org/report"' in content
    assert "Seen in the report." in content
    assert "carol" in content
    assert "Due for review → Resolved: Held up" in content
    assert "events-0-DELETE" not in content


def test_posting_a_delete_for_a_history_row_through_the_change_form_deletes_nothing(
    client: Client, make_due: Any
) -> None:
    client.force_login(User.objects.create_superuser("erin", "erin@example.org", "password"))
    p = make_due()
    decisions.resolve(p, outcome=Outcome.HELD_UP, note="held", actor=Actor(None, "carol"))
    event = p.events.get()
    data = form_data(client.get(change_url(p)))
    data |= {"events-0-id": str(event.pk), "events-0-DELETE": "on", "events-0-note": "rewritten"}

    client.post(change_url(p), data)

    assert Event.objects.get(pk=event.pk).note == "held"


def test_the_bulk_delete_action_cannot_remove_a_prediction_with_history(
    client: Client, make_due: Any
) -> None:
    client.force_login(User.objects.create_superuser("erin", "erin@example.org", "password"))
    p = make_due()
    decisions.resolve(p, outcome=Outcome.HELD_UP, note="held", actor=Actor(None, "carol"))

    response = client.post(
        CHANGELIST + "?status=all",
        {"action": "delete_selected", "_selected_action": [str(p.pk)], "post": "yes"},
    )

    assert response.status_code == 200  # the "protected objects" page, not a redirect after deleting
    assert Prediction.objects.filter(pk=p.pk).exists()
    assert p.events.count() == 1


def test_history_rows_have_no_admin_page_of_their_own(db: None) -> None:
    # No EventAdmin: no change or delete page exists for a history row.
    assert not admin.site.is_registered(Event)


def test_a_prediction_with_history_cannot_be_deleted_in_the_admin(client: Client, make_due: Any) -> None:
    client.force_login(User.objects.create_superuser("erin", "erin@example.org", "password"))
    with_history = make_due()
    decisions.resolve(with_history, outcome=Outcome.HELD_UP, note="held", actor=Actor(None, "carol"))
    without = make_due()

    delete = "admin:predictions_prediction_delete"
    assert client.post(reverse(delete, args=[with_history.pk]), {"post": "yes"}).status_code == 403
    assert Prediction.objects.filter(pk=with_history.pk).exists()
    assert client.get(reverse(delete, args=[without.pk])).status_code == 200
