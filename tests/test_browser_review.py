"""A reviewer's whole round in a real Chromium: log in, open the review queue, record an
outcome with a note and evidence, and find it in the history."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from predictions.models import Event, EventKind, Outcome, Prediction, Status
from tests.conftest import ARTIFACTS

# transaction=True: the live server reads what the test wrote (conftest puts the Reviewers
# group back after an earlier transactional test's flush).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FLAGGED_KEYS = ["bigger-compute-clusters-2026", "two-thousand-dollar-subscription-2026"]


def test_a_reviewer_records_an_outcome_from_the_queue_and_sees_it_in_the_history(
    page: Any, seeded: None, reviewer: User
) -> None:
    # The scheduler's flag, done directly: these two are due for review.
    flagged = Prediction.objects.filter(key__in=FLAGGED_KEYS).update(
        status=Status.DUE, flagged_at=timezone.now()
    )
    assert flagged == 2
    target = Prediction.objects.get(key="bigger-compute-clusters-2026")

    page.goto("/admin/predictions/prediction/")
    assert "/admin/login/" in page.url  # anonymous: sent to log in first
    page.fill("#id_username", "alice")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")

    # The queue: only the two flagged predictions, with "Due for review" the chosen filter.
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert page.locator("#changelist-filter li.selected a", has_text="Due for review").count() == 1
    page.screenshot(path=str(ARTIFACTS / "admin-review-queue.png"), full_page=True)

    page.click(f"#result_list a[href$='/{target.pk}/change/']")
    page.wait_for_selector("#decision-resolve-panel")
    page.check("#decision-resolve-panel input[value='held_up']")
    page.fill("#id_resolve-note", "Several labs announced larger clusters coming online in 2026.")
    page.fill("#id_resolve-evidence", "https://example.org/clusters-2026\nhttps://example.org/second-source")
    page.click("input[type=submit][value='Record outcome']")

    page.wait_for_selector(".messagelist .success")
    assert "Recorded “Held up”" in page.inner_text(".messagelist")
    history = page.locator("#events-group")
    assert "Several labs announced larger clusters coming online in 2026." in history.inner_text()
    assert "alice" in history.inner_text()
    assert "Due for review → Resolved: Held up" in history.inner_text()
    assert history.locator("a[href='https://example.org/clusters-2026']").count() == 1
    # The panel now offers to change the outcome, and to reopen.
    assert page.locator("#decision-reopen-panel").count() == 1
    page.screenshot(path=str(ARTIFACTS / "admin-review-recorded.png"), full_page=True)

    target.refresh_from_db()
    assert (target.status, target.outcome) == (Status.RESOLVED, Outcome.HELD_UP)
    event = Event.objects.get(prediction=target)
    assert (event.kind, event.actor_name) == (EventKind.RESOLVED, "alice")
    assert event.evidence == ["https://example.org/clusters-2026", "https://example.org/second-source"]


def test_the_pages_save_keeps_a_filled_decision_and_enter_in_a_field_is_save(
    page: Any, seeded: None, reviewer: User
) -> None:
    # Saving the prediction's fields takes the change permission too: Alice is given it here.
    from django.contrib.auth.models import Permission

    reviewer.user_permissions.add(Permission.objects.get(codename="change_prediction"))
    target = Prediction.objects.get(key="bigger-compute-clusters-2026")
    Prediction.objects.filter(pk=target.pk).update(status=Status.DUE, flagged_at=timezone.now())
    page.goto("/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.goto(f"/admin/predictions/prediction/{target.pk}/change/")

    page.check("#decision-resolve-panel input[value='held_up']")
    page.fill("#id_resolve-note", "It happened.")
    page.click("input[type=submit][name=_save]:visible")

    page.wait_for_selector(".errornote")
    assert "You filled in an outcome below, which Save does not record" in page.inner_text("#content")
    assert page.input_value("#id_resolve-note") == "It happened."
    target.refresh_from_db()
    assert target.status == Status.DUE and not Event.objects.filter(prediction=target).exists()

    # Cleared, Enter in a field of the prediction saves it (the form's default button is Save,
    # not the first decision's).
    page.goto(f"/admin/predictions/prediction/{target.pk}/change/")
    page.fill("#id_section", "Compute")
    page.press("#id_section", "Enter")
    page.wait_for_selector(".messagelist .success")
    target.refresh_from_db()
    assert (target.section, target.status) == ("Compute", Status.DUE)
