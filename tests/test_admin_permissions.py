"""Who may do what in the admin: alice (a reviewer) decides, bob (staff without the
permission) reads, an anonymous visitor is sent to the login page, and nobody types a
status or outcome into the change form."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from predictions import decisions
from predictions.decisions import Actor
from predictions.models import Event, Outcome, Prediction, Status

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:predictions_prediction_changelist")
LOGIN = reverse("admin:login")


@pytest.fixture
def due(make_prediction: Any) -> Prediction:
    return make_prediction(
        stated_on=date(2025, 1, 31), due_on=date(2025, 12, 31), status=Status.DUE, flagged_at=timezone.now()
    )


@pytest.fixture
def resolved(make_prediction: Any) -> Prediction:
    p = make_prediction(stated_on=date(2025, 1, 31), due_on=date(2025, 12, 31), status=Status.DUE)
    decisions.resolve(
        p,
        outcome=Outcome.HELD_UP,
        note="Judged by carol from the vendor report.",
        actor=Actor(None, "carol"),
    )
    return p


@pytest.fixture
def editor(db: None) -> User:
    """Erin may edit a prediction's text and dates, but not decide its outcome."""
    user = User.objects.create_user("erin", "erin@example.org", "password", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="change_prediction"),
        Permission.objects.get(codename="view_prediction"),
    )
    return user


def change_url(p: Prediction) -> str:
    return reverse("admin:predictions_prediction_change", args=[p.pk])


def decide_url(p: Prediction, kind: str) -> str:
    return reverse("admin:predictions_prediction_decide", args=[p.pk, kind])


def resolve_post(p: Prediction) -> dict[str, str]:
    return {
        "resolve-outcome": Outcome.HELD_UP,
        "resolve-note": "It happened.",
        "resolve-evidence": "https://example.org/a",
        "resolve-version": str(p.version),
        "resolve-known_on": timezone.localdate().isoformat(),
    }


def defer_post(p: Prediction) -> dict[str, str]:
    until = timezone.localdate() + timedelta(days=30)
    return {"defer-until": until.isoformat(), "defer-note": "Later.", "defer-version": str(p.version)}


def bulk_post(p: Prediction) -> dict[str, Any]:
    return {
        "action": "record_outcome",
        "_selected_action": [str(p.pk)],
        "apply": "1",
        "outcome": Outcome.HELD_UP,
        "note": "It happened.",
        "known_on": timezone.localdate().isoformat(),
        f"version-{p.pk}": str(p.version),
    }


def unchanged(p: Prediction, status: str = Status.DUE, events: int = 0) -> bool:
    p.refresh_from_db()
    return p.status == status and p.events.count() == events


# --- anonymous ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["changelist", "change", "decide"])
def test_an_anonymous_visitor_is_sent_to_the_login_page(client: Client, due: Prediction, path: str) -> None:
    url = {"changelist": CHANGELIST, "change": change_url(due), "decide": decide_url(due, "resolve")}[path]

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


def test_an_anonymous_visitor_cannot_decide(client: Client, due: Prediction) -> None:
    response = client.post(decide_url(due, "resolve"), resolve_post(due))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert unchanged(due)


def test_an_anonymous_visitor_cannot_run_the_bulk_action(client: Client, due: Prediction) -> None:
    response = client.post(CHANGELIST, bulk_post(due))

    assert response.status_code == 302
    assert unchanged(due)


# --- bob: staff without the permission ----------------------------------------------------------


def test_staff_without_the_permission_can_read_the_queue_and_a_prediction(
    client: Client, staff: User, resolved: Prediction
) -> None:
    client.force_login(staff)

    queue = client.get(CHANGELIST, {"status": "all"})
    page = client.get(change_url(resolved))

    assert queue.status_code == 200
    assert list(queue.context["cl"].result_list) == [resolved]
    assert page.status_code == 200
    content = page.content.decode()
    [history] = page.context["inline_admin_formsets"]
    assert len(history.formset.forms) == 1
    assert "Judged by carol from the vendor report." in content  # the history is readable
    assert "decision" not in page.context
    assert "Recording or changing an outcome needs" in content
    assert "formaction=" not in content and "/decide/" not in content


def test_staff_without_the_permission_are_not_offered_the_bulk_action(
    client: Client, staff: User, due: Prediction
) -> None:
    client.force_login(staff)

    response = client.get(CHANGELIST)

    assert "record_outcome" not in response.content.decode()


@pytest.mark.parametrize("kind", ["resolve", "defer"])
def test_staff_without_the_permission_cannot_decide(
    client: Client, staff: User, due: Prediction, kind: str
) -> None:
    client.force_login(staff)
    data = resolve_post(due) if kind == "resolve" else defer_post(due)

    assert client.get(decide_url(due, kind)).status_code == 403
    assert client.post(decide_url(due, kind), data).status_code == 403
    assert unchanged(due)


def test_staff_without_the_permission_cannot_reopen(
    client: Client, staff: User, resolved: Prediction
) -> None:
    client.force_login(staff)

    response = client.post(
        decide_url(resolved, "reopen"), {"reopen-note": "no", "reopen-version": str(resolved.version)}
    )

    assert response.status_code == 403
    assert unchanged(resolved, Status.RESOLVED, events=1)


def test_staff_without_the_permission_cannot_run_the_bulk_action(
    client: Client, staff: User, due: Prediction
) -> None:
    client.force_login(staff)

    response = client.post(CHANGELIST, bulk_post(due), follow=True)

    assert response.status_code == 200
    assert unchanged(due)
    assert not Event.objects.exists()


def test_staff_without_the_permission_cannot_save_the_change_form(
    client: Client, staff: User, due: Prediction
) -> None:
    client.force_login(staff)

    response = client.post(
        change_url(due), {"claim": "Rewritten.", "status": Status.RESOLVED, "outcome": Outcome.HELD_UP}
    )

    assert response.status_code == 403
    due.refresh_from_db()
    assert (due.claim, due.status) != ("Rewritten.", Status.RESOLVED)
    assert unchanged(due)


# --- erin: may edit the text, not decide ------------------------------------------------------


def test_an_editor_cannot_decide(client: Client, editor: User, due: Prediction) -> None:
    client.force_login(editor)

    assert "decision" not in client.get(change_url(due)).context
    assert client.post(decide_url(due, "resolve"), resolve_post(due)).status_code == 403
    assert unchanged(due)


# --- alice: a reviewer ---------------------------------------------------------------------------


def test_a_reviewer_can_decide(client: Client, reviewer: User, due: Prediction) -> None:
    client.force_login(reviewer)

    page = client.get(change_url(due))
    response = client.post(decide_url(due, "resolve"), resolve_post(due))

    assert "decision" in page.context
    assert response.status_code == 302
    assert unchanged(due, Status.RESOLVED, events=1)


def test_a_reviewer_can_run_the_bulk_action(client: Client, reviewer: User, due: Prediction) -> None:
    client.force_login(reviewer)

    assert "record_outcome" in client.get(CHANGELIST).content.decode()
    response = client.post(CHANGELIST, bulk_post(due))

    assert response.status_code == 302
    assert unchanged(due, Status.RESOLVED, events=1)


def test_a_reviewer_cannot_type_a_status_into_the_change_form(
    client: Client, reviewer: User, due: Prediction
) -> None:
    # Reviewers decide through the decision form; the change form itself is read-only for them.
    client.force_login(reviewer)

    response = client.post(
        change_url(due), {"claim": "Rewritten.", "status": Status.RESOLVED, "outcome": Outcome.HELD_UP}
    )

    assert response.status_code == 403
    assert unchanged(due)
