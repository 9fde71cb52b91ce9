"""The reviewers' admin: the queue, the outcome form, deferral, reopening, bulk resolve,
the read-only history, the stale-page refusal and the changelist's query count."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from predictions import decisions
from predictions.admin import PredictionAdmin
from predictions.decisions import Actor
from predictions.models import (
    Event,
    EventKind,
    Outcome,
    Prediction,
    Speaker,
    Status,
    UnresolvableReason,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:predictions_prediction_changelist")


def change_url(p: Prediction) -> str:
    return reverse("admin:predictions_prediction_change", args=[p.pk])


def decide_url(p: Prediction, kind: str) -> str:
    return reverse("admin:predictions_prediction_decide", args=[p.pk, kind])


@pytest.fixture
def alice_client(client: Client, reviewer: User) -> Client:
    client.force_login(reviewer)
    return client


@pytest.fixture
def carol(db: None) -> User:
    """A second reviewer, for two people deciding on the same prediction."""
    from django.contrib.auth.models import Group

    user = User.objects.create_user("carol", "carol@example.org", "password", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


@pytest.fixture
def make_due(make_prediction: Any) -> Any:
    """A prediction the scheduler has flagged: due for review."""

    def make(**fields: Any) -> Prediction:
        values: dict[str, Any] = {
            "stated_on": date(2025, 1, 31),
            "due_on": date(2025, 12, 31),
            "status": Status.DUE,
            "flagged_at": timezone.now(),
        }
        values.update(fields)
        return make_prediction(**values)

    return make


def resolve_data(p: Prediction, **overrides: str) -> dict[str, Any]:
    data = {
        "resolve-outcome": Outcome.HELD_UP,
        "resolve-unresolvable_reason": "",
        "resolve-note": "The clusters came online in March.",
        "resolve-evidence": "https://example.org/clusters\nhttps://example.org/second",
        "resolve-version": str(p.version),
    }
    data.update({f"resolve-{k}": v for k, v in overrides.items()})
    return data


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
    assert 'form="decision-resolve"' in response.content.decode()


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


def form_data(response: Any) -> dict[str, Any]:
    """What the browser would post back from an admin change page, unchanged."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for field in form:
            value = field.value()
            if value is not None:
                data[field.html_name] = value
    return data


# --- the bulk action ---------------------------------------------------------------------------


def bulk_post(client: Client, predictions: list[Prediction], **fields: str) -> Any:
    data: dict[str, Any] = {
        "action": "record_outcome",
        "_selected_action": [str(p.pk) for p in predictions],
        **fields,
    }
    return client.post(CHANGELIST, data)


def test_the_bulk_action_asks_for_confirmation_first(alice_client: Client, make_due: Any) -> None:
    chosen = [make_due(), make_due()]

    response = bulk_post(alice_client, chosen, index="0")

    assert response.status_code == 200
    assert response.templates[0].name == "admin/predictions/prediction/bulk_outcome.html"
    assert [p.pk for p in response.context["predictions"]] == [p.pk for p in chosen]
    assert not Event.objects.exists()


def test_the_bulk_action_records_one_history_row_for_each_prediction(
    alice_client: Client, make_due: Any
) -> None:
    chosen = [make_due(), make_due(), make_due()]
    untouched = make_due()

    response = bulk_post(
        alice_client,
        chosen,
        apply="1",
        outcome=Outcome.PARTIALLY,
        note="All three came true in part.",
        evidence="https://example.org/roundup",
        **{f"version-{p.pk}": str(p.version) for p in chosen},
    )

    assert response.status_code == 302
    for p in chosen:
        p.refresh_from_db()
        assert (p.status, p.outcome) == (Status.RESOLVED, Outcome.PARTIALLY)
        event = p.events.get()
        assert (event.actor_name, event.note, event.evidence) == (
            "alice",
            "All three came true in part.",
            ["https://example.org/roundup"],
        )
    untouched.refresh_from_db()
    assert untouched.status == Status.DUE
    assert Event.objects.count() == 3


def test_the_bulk_action_refuses_a_missing_note(alice_client: Client, make_due: Any) -> None:
    chosen = [make_due(), make_due()]

    response = bulk_post(
        alice_client,
        chosen,
        apply="1",
        outcome=Outcome.HELD_UP,
        note="",
        **{f"version-{p.pk}": str(p.version) for p in chosen},
    )

    assert response.status_code == 200
    assert "note" in response.context["form"].errors
    assert not Event.objects.exists()


def test_the_bulk_action_records_none_if_one_changed_meanwhile(
    alice_client: Client, make_due: Any, carol: User
) -> None:
    chosen = [make_due(), make_due()]
    versions = {f"version-{p.pk}": str(p.version) for p in chosen}
    decisions.resolve(chosen[1], outcome=Outcome.DID_NOT_HOLD_UP, note="Carol.", actor=Actor.of(carol))

    response = bulk_post(
        alice_client, chosen, apply="1", outcome=Outcome.HELD_UP, note="All held.", **versions
    )

    assert response.status_code == 200
    message = response.context["form"].non_field_errors()[0]
    assert str(chosen[1]) in message
    assert "Resolved by carol" in message
    chosen[0].refresh_from_db()
    assert chosen[0].status == Status.DUE
    assert Event.objects.count() == 1  # Carol's only


def test_the_bulk_action_refuses_a_confirmation_page_made_stale_by_a_change_that_kept_it_listed(
    alice_client: Client, make_due: Any, carol: User
) -> None:
    # Listed under "All", Carol's decision does not drop the prediction from the action's
    # list: only the version each row had on the confirmation page can refuse it.
    chosen = [make_due(), make_due()]
    versions = {f"version-{p.pk}": str(p.version) for p in chosen}
    decisions.resolve(chosen[1], outcome=Outcome.DID_NOT_HOLD_UP, note="Carol.", actor=Actor.of(carol))

    response = alice_client.post(
        CHANGELIST + "?status=all",
        {
            "action": "record_outcome",
            "_selected_action": [str(p.pk) for p in chosen],
            "apply": "1",
            "outcome": Outcome.HELD_UP,
            "note": "All held.",
            **versions,
        },
    )

    assert response.status_code == 200
    message = response.context["form"].non_field_errors()[0]
    assert str(chosen[1]) in message
    assert "Resolved by carol" in message
    chosen[0].refresh_from_db()
    chosen[1].refresh_from_db()
    assert (chosen[0].status, chosen[1].outcome) == (Status.DUE, Outcome.DID_NOT_HOLD_UP)
    assert Event.objects.count() == 1  # Carol's only


def test_a_bulk_confirmation_shown_again_for_a_form_error_keeps_the_versions_first_shown(
    alice_client: Client, make_due: Any, carol: User
) -> None:
    chosen = [make_due(), make_due()]
    shown = alice_client.post(
        CHANGELIST + "?status=all",
        {"action": "record_outcome", "_selected_action": [str(p.pk) for p in chosen]},
    )
    versions = {f"version-{p.pk}": str(p.version) for p in shown.context["predictions"]}
    # Carol decides while Alice's confirmation page is open; Alice forgot the note.
    decisions.resolve(chosen[1], outcome=Outcome.DID_NOT_HOLD_UP, note="Carol.", actor=Actor.of(carol))
    data = {"action": "record_outcome", "_selected_action": [str(p.pk) for p in chosen], "apply": "1"}
    again = alice_client.post(CHANGELIST + "?status=all", data | versions | {"outcome": Outcome.HELD_UP})
    assert "note" in again.context["form"].errors

    # She adds the note and confirms the page as it was shown to her again.
    content = again.content.decode()
    versions_again = {
        f"version-{p.pk}": content.split(f'name="version-{p.pk}" value="')[1].split('"')[0] for p in chosen
    }
    response = alice_client.post(
        CHANGELIST + "?status=all", data | versions_again | {"outcome": Outcome.HELD_UP, "note": "All held."}
    )

    assert versions_again == versions
    assert "Resolved by carol" in response.context["form"].non_field_errors()[0]
    chosen[1].refresh_from_db()
    assert chosen[1].outcome == Outcome.DID_NOT_HOLD_UP
    assert Event.objects.count() == 1  # Carol's only


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
    # session, user, the page's rows, its count, the speaker and source filter choices...
    assert with_50 <= 10


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
