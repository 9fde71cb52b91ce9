"""The Content-Security-Policy (default-src 'self', nothing inline) is on, and nothing the
site shows breaks it: Chromium reports no violation on the public pages, the API docs or the admin's
queue, decision panel and bulk confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from predictions.models import Prediction, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_page_sends_the_policy(client: Client, db) -> None:
    policy = client.get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "script-src" not in policy  # scripts fall back to default-src 'self'


def watch(page: Any) -> list[str]:
    """Every CSP violation Chromium reports, from the console and from the DOM event."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
            else None
        ),
    )
    # A listener installed in every document before its own scripts run.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


def test_no_page_breaks_the_policy_in_chromium(page: Any, seeded: None, reviewer: User) -> None:
    violations = watch(page)
    due = Prediction.objects.order_by("pk").first()
    Prediction.objects.filter(pk=due.pk).update(status=Status.DUE, flagged_at=timezone.now())

    for path in ("/", f"/predictions/{due.pk}/", "/unattributed/"):
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.locator("header.site").count() == 1, path  # the stylesheet loaded the page

    page.goto("/api/docs")  # django-ninja's Swagger UI, from static files
    page.wait_for_selector(".swagger-ui .opblock")

    page.goto("/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    page.goto("/admin/predictions/prediction/")
    page.wait_for_selector("#result_list")
    # The admin's own JavaScript still runs: the action bar's "select all" ticks every row.
    page.check("#action-toggle")
    assert page.locator("input.action-select:checked").count() == page.locator("input.action-select").count()

    page.goto(f"/admin/predictions/prediction/{due.pk}/change/")
    page.wait_for_selector("#decision-resolve-panel")
    # The static admin.css applies (it hides the history rows' repeated titles).
    page.wait_for_load_state("load")

    # The bulk confirmation page (its cancel link is the admin's cancel.js).
    page.goto("/admin/predictions/prediction/")
    page.check(f"input.action-select[value='{due.pk}']")
    page.select_option("select[name=action]", index=1)
    page.click("button[name=index]")
    page.wait_for_load_state("load")

    assert violations == []
