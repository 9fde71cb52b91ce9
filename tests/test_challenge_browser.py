"""A reader contests an outcome and a reviewer answers it, in a real Chromium: the form on
the prediction's page, the admin's Challenges queue, and the answer shown publicly."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from predictions.actors import Actor
from predictions.decisions import resolve
from predictions.models import Challenge, ChallengeStatus, Outcome, Status
from predictions.tasks import flag_due
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_contests_and_a_reviewer_declines_with_a_public_reason(
    page: Any, make_prediction: Any, speaker: Any, reviewer: User
) -> None:
    cache.clear()
    p = make_prediction(speaker=speaker, claim="A lab ships a 2-million-token model.")
    flag_due(as_of=date(2027, 1, 1))
    p.refresh_from_db()
    resolve(p, outcome=Outcome.HELD_UP, note="Announced in June.", actor=Actor.of(reviewer))

    # The reader: from the prediction's page to the form, and back with a thank-you.
    page.goto(p.get_absolute_url())
    page.click("#contest-link")
    page.fill("#id_reason", "The model was announced but never made generally available.")
    page.fill("#id_evidence", "https://example.org/not-ga")
    assert page.locator(".trap").bounding_box()["x"] < 0  # the robots' field is off the screen
    page.click("button[type=submit]")
    page.wait_for_selector("#message h1")
    assert page.inner_text("#message h1") == "Thank you"
    [challenge] = Challenge.objects.all()
    page.goto(p.get_absolute_url())
    assert "never made generally available" not in page.content()  # not before an answer

    # The reviewer: the admin index says a challenge waits; decline it with a reason.
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.click("#challenges-waiting")
    page.click(f"#result_list a[href*='/challenge/{challenge.pk}/change/']")
    page.check("input[name=decision][value=decline]")
    page.fill("#id_text", "It was generally available in the API from 2 June; see the pricing page.")
    page.screenshot(path=str(ARTIFACTS / "admin-challenge-answer.png"), full_page=True)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")

    challenge.refresh_from_db()
    p.refresh_from_db()
    assert (challenge.status, p.status) == (ChallengeStatus.DECLINED, Status.RESOLVED)
    page.goto(p.get_absolute_url())
    section = page.inner_text("#challenges")
    assert "never made generally available" in section
    assert "Declined by Reviewer" in section and "pricing page" in section
    page.screenshot(path=str(ARTIFACTS / "prediction-challenge-answered.png"), full_page=True)
