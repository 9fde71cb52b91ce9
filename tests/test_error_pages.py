"""The site's own 404, 403 and refused-form (CSRF) pages, under the same Content-Security-Policy
as every page (no inline style or script), and the admin's name and queue count."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.views import defaults

from predictions.tasks import flag_due

pytestmark = pytest.mark.django_db

INLINE = re.compile(r"<style|style=|<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)", re.I)


def assert_keeps_the_policy(response) -> None:
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert not INLINE.search(response.content.decode()), "inline style or script"


def test_not_found_is_the_sites_page(client):
    response = client.get("/predictions/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Not found</h1>" in html and "/predictions/999999/" in html
    assert 'href="/scorecard/"' in html  # the way back
    assert_keeps_the_policy(response)


def test_a_refused_form_is_the_sites_page_and_names_no_internals(reviewer):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "alice", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "The form could not be accepted" in html and "nothing was saved" in html
    assert "CSRF_FAILURE_VIEW" not in html  # Django's page explains its settings
    assert_keeps_the_policy(response)


def test_forbidden_is_the_sites_page(rf):
    # No public view refuses permission today; Django's handler renders 403.html when one does.
    request = rf.get("/somewhere/")
    request.user = AnonymousUser()
    page = defaults.permission_denied(request, PermissionDenied())
    assert page.status_code == 403
    html = page.content.decode()
    assert "<h1>Not allowed</h1>" in html and 'href="/admin/login/"' in html
    assert not INLINE.search(html)


def test_the_admin_has_the_sites_name_and_the_queue_first(alice_client, make_prediction):
    make_prediction(due_on=date(2026, 3, 31))
    make_prediction(due_on=date(2026, 6, 30))
    make_prediction(due_on=date(2027, 6, 30))
    html = alice_client.get("/admin/").content.decode()
    assert "Django administration" not in html
    assert "Prediction tracker" in html
    assert "No prediction is waiting for review." in html

    flag_due(as_of=date(2026, 12, 31))
    html = alice_client.get("/admin/").content.decode()
    assert re.search(r"<strong>2</strong> predictions waiting for review", html)
    assert "/admin/predictions/prediction/?status=due" in html
