"""The bulk action: one outcome for the selected predictions, all of them or none."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from predictions import decisions
from predictions.decisions import Actor
from predictions.models import (
    Event,
    Outcome,
    Prediction,
    Status,
)
from tests.admin_support import CHANGELIST

pytestmark = pytest.mark.django_db


# --- the bulk action ---------------------------------------------------------------------------


def bulk_post(client: Client, predictions: list[Prediction], **fields: str) -> Any:
    data: dict[str, Any] = {
        "action": "record_outcome",
        "_selected_action": [str(p.pk) for p in predictions],
        # The bulk form asks when the outcome became known, today by default.
        **({"known_on": timezone.localdate().isoformat()} if "apply" in fields else {}),
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
            "known_on": timezone.localdate().isoformat(),
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
    data = {
        "action": "record_outcome",
        "_selected_action": [str(p.pk) for p in chosen],
        "apply": "1",
        "known_on": timezone.localdate().isoformat(),
    }
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
