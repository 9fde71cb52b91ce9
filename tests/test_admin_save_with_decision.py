"""A filled decision is never lost: the change page's Save refuses (nothing saved, the decision
still filled in) while a decision panel has something in it, and a decision's own button,
posting the same page, records it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from predictions.models import Event, Outcome, Prediction, Status
from tests.admin_support import change_url, decide_url, form_data, resolve_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def erin(client: Client) -> Client:
    """A superuser: she may edit a prediction's fields and decide its outcome."""
    client.force_login(User.objects.create_superuser("erin", "erin@example.org", "password"))
    return client


def page(client: Client, p: Prediction) -> dict[str, Any]:
    return form_data(client.get(change_url(p)))


def test_save_refuses_while_an_outcome_is_filled_in_and_saves_nothing(erin: Client, make_due: Any) -> None:
    p = make_due()
    data = page(erin, p) | resolve_data(p) | {"claim": "A sharper claim.", "_save": "Save"}

    response = erin.post(change_url(p), data)

    assert response.status_code == 200  # the page again, not a redirect with "changed successfully"
    html = response.content.decode()
    assert "You filled in an outcome below, which Save does not record: nothing was saved." in html
    assert "changed successfully" not in html
    p.refresh_from_db()
    assert p.claim != "A sharper claim." and p.status == Status.DUE
    assert not Event.objects.exists()
    # What was typed is still there, for its own button.
    assert "The clusters came online in March." in html
    assert response.context["decision"]["forms"]["resolve"]["outcome"].value() == Outcome.HELD_UP


def test_save_refuses_while_a_deferral_is_filled_in(erin: Client, make_due: Any) -> None:
    p = make_due()
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    data = page(erin, p) | {"defer-until": until, "defer-note": "Too early.", "_continue": "Save"}

    response = erin.post(change_url(p), data)

    assert response.status_code == 200
    assert "You filled in a deferral below" in response.content.decode()
    p.refresh_from_db()
    assert (p.status, p.review_after) == (Status.DUE, None)


def test_save_with_the_panels_untouched_saves_as_before(erin: Client, make_due: Any) -> None:
    p = make_due()
    response = erin.post(change_url(p), page(erin, p) | {"claim": "A sharper claim.", "_save": "Save"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.claim == "A sharper claim."


def test_a_resolved_predictions_shown_outcome_is_not_a_filled_decision(erin: Client, make_due: Any) -> None:
    p = make_due()
    erin.post(decide_url(p, "resolve"), resolve_data(p))
    p.refresh_from_db()
    data = page(erin, p)
    assert data["resolve-outcome"] == Outcome.HELD_UP  # the page shows it chosen

    response = erin.post(change_url(p), data | {"claim": "A sharper claim.", "_save": "Save"})

    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.claim, p.outcome) == ("A sharper claim.", Outcome.HELD_UP)


def test_the_decisions_own_button_posts_the_same_page_and_records_it(erin: Client, make_due: Any) -> None:
    p = make_due()
    data = page(erin, p) | resolve_data(p) | {"_resolve": "Record outcome"}

    response = erin.post(decide_url(p, "resolve"), data)

    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.status, p.outcome) == (Status.RESOLVED, Outcome.HELD_UP)
