"""A panel of reviewers (REVIEW_QUORUM = 2) in a real Chromium: alice proposes an outcome,
carol confirms it from the panel at the top of the page, and a reader sees it confirmed."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from predictions.models import EventKind, Outcome, Prediction, Status
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_selector("#content")


def test_one_reviewer_proposes_another_confirms_and_the_page_says_so(
    page: Any, settings: Any, make_due: Any, reviewer: User, carol: User
) -> None:
    settings.REVIEW_QUORUM = 2
    target = make_due()
    change = f"/admin/predictions/prediction/{target.pk}/change/"

    log_in(page, "alice")
    page.goto(change)
    page.check("#decision-resolve-panel input[value='held_up']")
    page.fill("#id_resolve-note", "The report is out.")
    page.fill("#id_resolve-known_on", "2026-11-30")
    page.click("input[type=submit][value='Record outcome']")
    page.wait_for_selector(".messagelist .success")
    assert "Proposed “Held up”" in page.inner_text(".messagelist")
    target.refresh_from_db()
    assert (target.status, target.outcome) == (Status.PROPOSED, "")

    log_in(page, "carol")
    page.goto(change)
    page.wait_for_selector("#decision-confirm-panel")
    assert "Proposed by alice" in page.inner_text("#decision-pending")
    page.screenshot(path=str(ARTIFACTS / "admin-panel-proposed.png"), full_page=True)
    page.fill("#id_confirm-note", "Read the report: it held.")
    page.click("input[type=submit][value='Confirm outcome']")
    page.wait_for_selector(".messagelist .success")
    assert "Confirmed “Held up”" in page.inner_text(".messagelist")

    target.refresh_from_db()
    assert (target.status, target.outcome, target.known_on.isoformat()) == (
        Status.RESOLVED,
        Outcome.HELD_UP,
        "2026-11-30",
    )
    assert list(target.events.values_list("kind", "actor_name")) == [
        (EventKind.PROPOSED, "alice"),
        (EventKind.RESOLVED, "carol"),
    ]
    page.goto(Prediction.objects.get(pk=target.pk).get_absolute_url())
    assert "Confirmed by a second reviewer." in page.inner_text("#settlement")
    assert "Known on 30 Nov 2026" in page.inner_text("#known-on")
