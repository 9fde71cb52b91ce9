"""Deciding on one prediction in the admin: recording, changing, reopening and deferring an
outcome, and the refusal of a decision or edit made on a stale page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from predictions import decisions
from predictions.decisions import Actor
from predictions.models import (
    Event,
    EventKind,
    Outcome,
    Prediction,
    Status,
    UnresolvableReason,
)
from tests.admin_support import CHANGELIST, change_url, decide_url, form_data, resolve_data

pytestmark = pytest.mark.django_db


# --- recording an outcome ----------------------------------------------------------------------


def test_a_reviewer_records_an_outcome_with_note_and_evidence(
    alice_client: Client, make_due: Any, reviewer: User
) -> None:
    p = make_due()

    response = alice_client.post(decide_url(p, "resolve"), resolve_data(p))

    assert response.status_code == 302
    assert response["Location"] == change_url(p)
    p.refresh_from_db()
    assert (p.status, p.outcome) == (Status.RESOLVED, Outcome.HELD_UP)
    [event] = p.events.all()
    assert event.kind == EventKind.RESOLVED
    assert event.actor == reviewer
    assert event.actor_name == "alice"
    assert (event.from_status, event.to_status, event.to_outcome) == (
        Status.DUE,
        Status.RESOLVED,
        Outcome.HELD_UP,
    )
    assert event.note == "The clusters came online in March."
    assert event.evidence == ["https://example.org/clusters", "https://example.org/second"]


def test_an_outcome_without_a_note_is_refused_and_nothing_is_written(
    alice_client: Client, make_due: Any
) -> None:
    p = make_due()

    response = alice_client.post(decide_url(p, "resolve"), resolve_data(p, note="   "))

    assert response.status_code == 200
    assert response.context["decision"]["forms"]["resolve"].errors["note"] == ["This field is required."]
    p.refresh_from_db()
    assert p.status == Status.DUE
    assert not Event.objects.exists()


def test_a_bad_evidence_url_is_refused_naming_the_line(alice_client: Client, make_due: Any) -> None:
    p = make_due()

    response = alice_client.post(
        decide_url(p, "resolve"), resolve_data(p, evidence="https://example.org/ok\nnot a link")
    )

    assert response.status_code == 200
    errors = response.context["decision"]["forms"]["resolve"].errors["evidence"]
    assert errors == ["Line 2 is not a valid http(s) URL: not a link"]
    assert "Line 2 is not a valid http(s) URL" in response.content.decode()
    p.refresh_from_db()
    assert p.status == Status.DUE
    assert not Event.objects.exists()


def test_a_javascript_link_is_not_evidence(alice_client: Client, make_due: Any) -> None:
    p = make_due()

    response = alice_client.post(decide_url(p, "resolve"), resolve_data(p, evidence="javascript:alert(1)"))

    assert "evidence" in response.context["decision"]["forms"]["resolve"].errors
    assert not Event.objects.exists()


def test_a_null_character_in_an_evidence_link_is_a_form_error_not_a_server_error(
    alice_client: Client, make_due: Any
) -> None:
    # URLValidator lets a NUL through in the path; PostgreSQL's jsonb then refuses the row.
    p = make_due()

    response = alice_client.post(
        decide_url(p, "resolve"), resolve_data(p, evidence="https://example.org/a\x00b")
    )

    assert response.status_code == 200
    assert response.context["decision"]["forms"]["resolve"].errors["evidence"] == [
        "Null characters are not allowed."
    ]
    assert not Event.objects.exists()


def test_unresolvable_without_a_reason_is_refused(alice_client: Client, make_due: Any) -> None:
    p = make_due()

    response = alice_client.post(decide_url(p, "resolve"), resolve_data(p, outcome=Outcome.UNRESOLVABLE))

    assert response.context["decision"]["forms"]["resolve"].errors["unresolvable_reason"] == [
        "Say why it is unresolvable."
    ]
    p.refresh_from_db()
    assert p.status == Status.DUE
    assert not Event.objects.exists()


def test_unresolvable_with_a_reason_is_recorded(alice_client: Client, make_due: Any) -> None:
    p = make_due()

    alice_client.post(
        decide_url(p, "resolve"),
        resolve_data(p, outcome=Outcome.UNRESOLVABLE, unresolvable_reason=UnresolvableReason.TOO_VAGUE),
    )

    p.refresh_from_db()
    assert (p.outcome, p.unresolvable_reason) == (Outcome.UNRESOLVABLE, UnresolvableReason.TOO_VAGUE)
    assert p.events.get().unresolvable_reason == UnresolvableReason.TOO_VAGUE


def test_the_change_page_never_lets_status_or_outcome_be_typed(alice_client: Client, make_due: Any) -> None:
    p = make_due()

    response = alice_client.get(change_url(p))

    assert response.status_code == 200
    form = response.context["adminform"].form
    for name in ["status", "outcome", "unresolvable_reason", "review_after", "version"]:
        assert name not in form.fields
    # The decision form is there instead, with the version the page was loaded at.
    assert response.context["decision"]["forms"]["resolve"].initial["version"] == p.version
    assert f'formaction="{decide_url(p, "resolve")}"' in response.content.decode()


# --- re-resolving, reopening, deferring --------------------------------------------------------


def test_re_resolving_keeps_the_earlier_decision_in_the_history(alice_client: Client, make_due: Any) -> None:
    p = make_due()
    alice_client.post(decide_url(p, "resolve"), resolve_data(p, note="First look: it held."))
    p.refresh_from_db()

    response = alice_client.post(
        decide_url(p, "resolve"),
        resolve_data(p, outcome=Outcome.DID_NOT_HOLD_UP, note="The launch was withdrawn in May."),
    )

    assert response.status_code == 302
    p.refresh_from_db()
    assert p.outcome == Outcome.DID_NOT_HOLD_UP
    first, second = p.events.order_by("at", "id")
    assert (first.kind, first.to_outcome, first.note) == (
        EventKind.RESOLVED,
        Outcome.HELD_UP,
        "First look: it held.",
    )
    assert (second.kind, second.from_outcome, second.to_outcome) == (
        EventKind.RERESOLVED,
        Outcome.HELD_UP,
        Outcome.DID_NOT_HOLD_UP,
    )
    page = alice_client.get(change_url(p)).content.decode()
    assert "First look: it held." in page
    assert "The launch was withdrawn in May." in page
    assert "Resolved: Held up → Resolved: Did not hold up" in page


def test_reopening_puts_the_prediction_back_in_the_queue(alice_client: Client, make_due: Any) -> None:
    p = make_due()
    decisions.resolve(p, outcome=Outcome.HELD_UP, note="held", actor=Actor(None, "carol"))

    response = alice_client.post(
        decide_url(p, "reopen"), {"reopen-note": "New facts emerged.", "reopen-version": str(p.version)}
    )

    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.status, p.outcome) == (Status.DUE, "")
    assert [e.kind for e in p.events.order_by("at", "id")] == [EventKind.RESOLVED, EventKind.REOPENED]
    assert p in alice_client.get(CHANGELIST).context["cl"].result_list


def test_deferring_takes_it_out_of_the_queue_until_the_date_without_touching_the_due_date(
    alice_client: Client, make_due: Any
) -> None:
    p = make_due(due_on=date(2025, 12, 31))
    until = timezone.localdate() + timedelta(days=60)

    response = alice_client.post(
        decide_url(p, "defer"),
        {
            "defer-until": until.isoformat(),
            "defer-note": "The report is out in spring.",
            "defer-version": str(p.version),
        },
    )

    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.status, p.review_after, p.due_on) == (Status.OPEN, until, date(2025, 12, 31))
    event = p.events.get()
    assert (event.kind, event.review_after, event.note) == (
        EventKind.DEFERRED,
        until,
        "The report is out in spring.",
    )
    assert p not in alice_client.get(CHANGELIST).context["cl"].result_list
    assert p in alice_client.get(CHANGELIST, {"status": "deferred"}).context["cl"].result_list
    # The scheduler's query brings it back on that date, not a day before.
    assert p not in Prediction.objects.flaggable(until - timedelta(days=1))
    assert p in Prediction.objects.flaggable(until)


def test_deferring_to_a_past_date_is_refused(alice_client: Client, make_due: Any) -> None:
    p = make_due()

    response = alice_client.post(
        decide_url(p, "defer"),
        {"defer-until": timezone.localdate().isoformat(), "defer-note": "x", "defer-version": str(p.version)},
    )

    assert response.context["decision"]["forms"]["defer"].errors["until"] == [
        "Defer until a date in the future."
    ]
    p.refresh_from_db()
    assert (p.status, p.review_after) == (Status.DUE, None)


def test_deferring_needs_a_reason(alice_client: Client, make_due: Any) -> None:
    p = make_due()
    until = timezone.localdate() + timedelta(days=10)

    response = alice_client.post(
        decide_url(p, "defer"),
        {"defer-until": until.isoformat(), "defer-note": "", "defer-version": str(p.version)},
    )

    assert "note" in response.context["decision"]["forms"]["defer"].errors
    assert not Event.objects.exists()


# --- two reviewers, one prediction -------------------------------------------------------------


def test_a_decision_made_on_a_stale_page_is_refused_naming_the_change(
    alice_client: Client, make_due: Any, carol: User
) -> None:
    p = make_due()
    page = alice_client.get(change_url(p))
    seen_version = page.context["decision"]["forms"]["resolve"].initial["version"]
    # Carol decides while Alice's page is open.
    decisions.resolve(p, outcome=Outcome.DID_NOT_HOLD_UP, note="Carol's reading.", actor=Actor.of(carol))

    response = alice_client.post(
        decide_url(p, "resolve"),
        resolve_data(p, outcome=Outcome.HELD_UP) | {"resolve-version": str(seen_version)},
    )

    assert response.status_code == 200
    message = response.context["decision"]["forms"]["resolve"].non_field_errors()[0]
    assert "changed by someone else after you opened it" in message
    assert "Resolved by carol" in message
    assert "outcome Did not hold up" in message
    assert "Nothing was saved" in response.content.decode()
    p.refresh_from_db()
    assert p.outcome == Outcome.DID_NOT_HOLD_UP
    assert [e.actor_name for e in p.events.all()] == ["carol"]


def test_an_edit_of_the_details_made_on_a_stale_page_is_refused(
    client: Client, make_due: Any, carol: User
) -> None:
    editor = User.objects.create_superuser("erin", "erin@example.org", "password")
    client.force_login(editor)
    p = make_due(claim="Original claim.")
    data = form_data(client.get(change_url(p)))
    decisions.resolve(p, outcome=Outcome.HELD_UP, note="Carol's reading.", actor=Actor.of(carol))

    response = client.post(change_url(p), data | {"claim": "Edited claim."})

    assert response.status_code == 200
    assert "Resolved by carol" in response.content.decode()
    p.refresh_from_db()
    assert (p.claim, p.outcome) == ("Original claim.", Outcome.HELD_UP)


def test_an_edit_of_the_details_never_touches_status_or_outcome(client: Client, make_due: Any) -> None:
    editor = User.objects.create_superuser("erin", "erin@example.org", "password")
    client.force_login(editor)
    p = make_due(claim="Original claim.")
    data = form_data(client.get(change_url(p)))

    response = client.post(
        change_url(p),
        data | {"claim": "Edited claim.", "status": Status.RESOLVED, "outcome": Outcome.HELD_UP},
    )

    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.claim, p.status, p.outcome) == ("Edited claim.", Status.DUE, "")
    assert p.version == 2  # pages opened before the edit are now stale
    assert not Event.objects.exists()


def test_a_decision_made_on_a_page_loaded_before_an_edit_is_refused_naming_the_edit(
    client: Client, alice_client: Client, make_due: Any
) -> None:
    p = make_due(claim="Original claim.")
    seen = alice_client.get(change_url(p)).context["decision"]["forms"]["resolve"].initial["version"]
    editor = Client()
    editor.force_login(User.objects.create_superuser("erin", "erin@example.org", "password"))
    edited = editor.post(change_url(p), form_data(editor.get(change_url(p))) | {"claim": "A sharper claim."})
    assert edited.status_code == 302

    response = alice_client.post(decide_url(p, "resolve"), resolve_data(p) | {"resolve-version": str(seen)})

    message = response.context["decision"]["forms"]["resolve"].non_field_errors()[0]
    assert "its details were edited at" in message
    p.refresh_from_db()
    assert (p.claim, p.status) == ("A sharper claim.", Status.DUE)
    assert not Event.objects.exists()


def test_deferring_a_resolved_prediction_is_refused_with_a_message(
    alice_client: Client, make_due: Any
) -> None:
    p = make_due()
    decisions.resolve(p, outcome=Outcome.HELD_UP, note="held", actor=Actor(None, "carol"))
    until = timezone.localdate() + timedelta(days=10)

    response = alice_client.post(
        decide_url(p, "defer"),
        {"defer-until": until.isoformat(), "defer-note": "wait", "defer-version": str(p.version)},
        follow=True,
    )

    assert "A resolved prediction is reopened, not deferred." in response.content.decode()
    p.refresh_from_db()
    assert (p.status, p.review_after) == (Status.RESOLVED, None)
    assert p.events.count() == 1


# --- the change page's order ----------------------------------------------------------------------


def test_the_change_page_leads_with_what_is_judged_then_the_decision(
    alice_client: Client, make_due: Any
) -> None:
    p = make_due(resolution_criteria="Two public benchmarks show it.")
    html = alice_client.get(change_url(p)).content.decode()
    summary, panel = html.index('id="decision-summary"'), html.index('id="decision-panel"')
    fields = html.index("field-claim")  # the prediction's own fields
    assert summary < panel < fields
    between = html[summary:panel]
    assert p.claim in between and "Two public benchmarks show it." in between
    assert f"Due {p.due_on.day} {p.due_on:%b %Y}" in between
