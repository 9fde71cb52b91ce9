"""A panel of reviewers (settings.REVIEW_QUORUM = 2): an outcome is proposed until a different
reviewer confirms it; a different outcome from the second disputes it, and a third reviewer
who took no part settles it. With the default quorum of 1 an outcome is recorded at once.
Each refusal writes nothing; a proposed or disputed outcome is never counted."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from predictions import decisions
from predictions.decisions import Actor, DecisionError, StaleEdit, confirm, dispute, reopen, resolve
from predictions.filtering import Filters
from predictions.models import Event, EventKind, Outcome, Prediction, Status
from predictions.recount import differences
from predictions.tallies import total_of
from predictions.transitions import OWN_PROPOSAL, SAME_AS_PROPOSED, settlement
from tests.admin_support import CHANGELIST, change_url, decide_url
from tests.support import clean_environ

pytestmark = pytest.mark.django_db
KNOWN = date(2026, 11, 30)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def panel(settings: Any) -> None:
    settings.REVIEW_QUORUM = 2


@pytest.fixture
def dave(db: None) -> User:
    """A third reviewer, who settles a dispute between alice and carol."""
    user = User.objects.create_user("dave", "dave@example.org", "password", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


def propose(p: Prediction, who: User, outcome: str = Outcome.HELD_UP) -> Event:
    return resolve(p, outcome=outcome, note="It held.", actor=Actor.of(who), known_on=KNOWN)


def nothing_written(p: Prediction, events: int, version: int, status: str) -> bool:
    p.refresh_from_db()
    return (p.events.count(), p.version, p.status) == (events, version, status)


def test_with_one_reviewer_an_outcome_is_recorded_at_once(make_due: Any, reviewer: User) -> None:
    p = make_due()
    event = propose(p, reviewer)
    assert (event.kind, p.status, p.outcome, p.known_on) == (
        EventKind.RESOLVED,
        Status.RESOLVED,
        "held_up",
        KNOWN,
    )
    assert settlement(p.status, list(p.events.all())).stage == "decided"


def test_with_a_panel_an_outcome_is_proposed_and_not_counted(
    panel: None, make_due: Any, reviewer: User
) -> None:
    p = make_due()
    event = propose(p, reviewer)
    assert (event.kind, event.to_status, event.to_outcome, event.known_on) == (
        EventKind.PROPOSED,
        Status.PROPOSED,
        Outcome.HELD_UP,
        KNOWN,
    )
    # The prediction has no outcome yet: nothing that counts outcomes can count it.
    assert (p.status, p.outcome, p.resolved_at, p.known_on) == (Status.PROPOSED, "", None, None)
    assert not Prediction.objects.resolved().exists()
    tally = total_of(Filters())
    assert (tally.held_up, tally.resolved, tally.proposed, tally.pending) == (0, 0, 1, 1)


def test_a_different_reviewer_confirms_it_and_it_counts(
    panel: None, make_due: Any, reviewer: User, carol: User
) -> None:
    p = make_due()
    propose(p, reviewer)
    event = confirm(p, note="Checked the release notes.", actor=Actor.of(carol))
    assert (event.kind, event.from_status, event.to_outcome, event.known_on) == (
        EventKind.RESOLVED,
        Status.PROPOSED,
        Outcome.HELD_UP,
        KNOWN,
    )
    assert (p.status, p.outcome, p.known_on, p.resolved_at) == (Status.RESOLVED, "held_up", KNOWN, event.at)
    assert total_of(Filters()).held_up == 1
    assert settlement(p.status, list(p.events.all())).stage == "confirmed"


def test_a_reviewer_cannot_confirm_their_own_proposal(panel: None, make_due: Any, reviewer: User) -> None:
    p = make_due()
    propose(p, reviewer)
    with pytest.raises(DecisionError, match=f"^{OWN_PROPOSAL}$"):
        confirm(p, note="Me again.", actor=Actor.of(reviewer))
    with pytest.raises(DecisionError, match=f"^{OWN_PROPOSAL}$"):
        dispute(p, outcome=Outcome.DID_NOT_HOLD_UP, note="Changed my mind.", actor=Actor.of(reviewer))
    assert nothing_written(p, events=1, version=2, status=Status.PROPOSED)


def test_own_is_by_account_not_by_a_shared_name(
    panel: None, make_due: Any, reviewer: User, carol: User
) -> None:
    p = make_due()
    propose(p, reviewer)
    # Carol's account, whatever the name the actor carries: she is not the proposer.
    confirm(p, note="Checked.", actor=Actor(user=carol, name="alice"))
    assert p.status == Status.RESOLVED


def test_a_different_outcome_disputes_it(panel: None, make_due: Any, reviewer: User, carol: User) -> None:
    p = make_due()
    propose(p, reviewer)
    event = dispute(
        p,
        outcome=Outcome.DID_NOT_HOLD_UP,
        note="Not in 2026.",
        actor=Actor.of(carol),
        known_on=date(2026, 12, 1),
    )
    assert (event.kind, event.to_status, event.to_outcome, event.known_on) == (
        EventKind.DISPUTED,
        Status.DISPUTED,
        Outcome.DID_NOT_HOLD_UP,
        date(2026, 12, 1),
    )
    assert (p.status, p.outcome) == (Status.DISPUTED, "")
    tally = total_of(Filters())
    assert (tally.resolved, tally.disputed) == (0, 1)
    stage = settlement(p.status, list(p.events.all()))
    assert (stage.stage, stage.proposal.to_outcome, stage.dispute.to_outcome) == (
        "disputed",
        Outcome.HELD_UP,
        Outcome.DID_NOT_HOLD_UP,
    )


def test_disputing_with_the_proposed_outcome_is_refused(
    panel: None, make_due: Any, reviewer: User, carol: User
) -> None:
    p = make_due()
    propose(p, reviewer)
    with pytest.raises(DecisionError, match=f"^{SAME_AS_PROPOSED}$"):
        dispute(p, outcome=Outcome.HELD_UP, note="Agree.", actor=Actor.of(carol))
    assert nothing_written(p, events=1, version=2, status=Status.PROPOSED)


def test_a_third_reviewer_settles_a_dispute_and_those_in_it_cannot(
    panel: None, make_due: Any, reviewer: User, carol: User, dave: User
) -> None:
    p = make_due()
    propose(p, reviewer)
    dispute(p, outcome=Outcome.DID_NOT_HOLD_UP, note="Not in 2026.", actor=Actor.of(carol))
    for who, role in ((reviewer, "proposed"), (carol, "disputed")):
        with pytest.raises(DecisionError, match=f"^You {role} this outcome: a dispute is settled by a third"):
            resolve(p, outcome=Outcome.PARTIALLY, note="Mine.", actor=Actor.of(who), known_on=KNOWN)
    assert nothing_written(p, events=2, version=3, status=Status.DISPUTED)

    event = resolve(p, outcome=Outcome.PARTIALLY, note="Half of it.", actor=Actor.of(dave), known_on=KNOWN)

    # Settled at once, though the quorum is 2: the third reviewer's decision is the outcome.
    assert (event.kind, event.from_status) == (EventKind.RESOLVED, Status.DISPUTED)
    assert (p.status, p.outcome) == (Status.RESOLVED, Outcome.PARTIALLY)
    assert total_of(Filters()).partially == 1
    assert settlement(p.status, list(p.events.all())).stage == "settled"


def test_a_proposal_or_a_dispute_can_be_reopened(
    panel: None, make_due: Any, reviewer: User, carol: User
) -> None:
    p = make_due()
    propose(p, reviewer)
    reopen(p, note="Wrong prediction.", actor=Actor.of(reviewer))
    assert (p.status, p.outcome) == (Status.DUE, "")
    propose(p, reviewer)
    dispute(p, outcome=Outcome.DID_NOT_HOLD_UP, note="No.", actor=Actor.of(carol))
    reopen(p, note="Nobody can settle this yet.", actor=Actor.of(carol))
    assert p.status == Status.DUE


def test_a_re_resolution_is_proposed_too_and_confirmed_as_one(
    panel: None, make_due: Any, reviewer: User, carol: User, settings: Any
) -> None:
    settings.REVIEW_QUORUM = 1
    p = make_due()
    propose(p, reviewer)
    settings.REVIEW_QUORUM = 2
    propose(p, reviewer, Outcome.DID_NOT_HOLD_UP)
    # While the change is proposed the earlier outcome no longer counts: it is in question.
    assert (p.status, p.outcome) == (Status.PROPOSED, "")
    event = confirm(p, note="Yes, it did not.", actor=Actor.of(carol))
    assert (event.kind, p.status, p.outcome) == (
        EventKind.RERESOLVED,
        Status.RESOLVED,
        Outcome.DID_NOT_HOLD_UP,
    )


@pytest.mark.parametrize("decision", ["confirm", "dispute"])
def test_a_confirmation_or_dispute_made_on_a_stale_page_is_refused(
    panel: None, make_due: Any, reviewer: User, carol: User, decision: str
) -> None:
    p = make_due()
    propose(p, reviewer)
    seen = Prediction.objects.get(pk=p.pk)  # carol's page
    # Meanwhile alice withdraws her proposal and proposes another outcome.
    reopen(p, note="Wrong outcome.", actor=Actor.of(reviewer))
    propose(p, reviewer, Outcome.DID_NOT_HOLD_UP)
    with pytest.raises(StaleEdit, match="changed by someone else after you opened it"):
        if decision == "confirm":
            confirm(seen, note="Held up, yes.", actor=Actor.of(carol), expected_version=seen.version)
        else:
            dispute(
                seen,
                outcome=Outcome.PARTIALLY,
                note="Half.",
                actor=Actor.of(carol),
                expected_version=seen.version,
            )
    assert nothing_written(p, events=3, version=4, status=Status.PROPOSED)


def test_the_bulk_decision_proposes_each(panel: None, make_due: Any, reviewer: User) -> None:
    chosen = [make_due(), make_due()]
    count = decisions.resolve_many(
        chosen,
        selected={p.pk for p in chosen},
        seen_versions={p.pk: str(p.version) for p in chosen},
        outcome=Outcome.HELD_UP,
        note="Both held.",
        actor=Actor.of(reviewer),
        known_on=KNOWN,
    )
    assert count == 2
    assert set(Prediction.objects.values_list("status", "outcome")) == {(Status.PROPOSED, "")}
    assert set(Event.objects.values_list("kind", "to_outcome", "known_on")) == {
        (EventKind.PROPOSED, Outcome.HELD_UP, KNOWN)
    }


def test_the_tally_stays_equal_to_a_recount_through_a_panels_decisions(
    panel: None, make_due: Any, reviewer: User, carol: User, dave: User
) -> None:
    first, second = make_due(), make_due()
    propose(first, reviewer)
    propose(second, reviewer)
    assert differences() == []
    confirm(first, note="Yes.", actor=Actor.of(carol))
    dispute(second, outcome=Outcome.DID_NOT_HOLD_UP, note="No.", actor=Actor.of(carol))
    assert differences() == []
    tally = total_of(Filters())
    assert (tally.held_up, tally.did_not_hold_up, tally.disputed) == (1, 0, 1)
    resolve(second, outcome=Outcome.DID_NOT_HOLD_UP, note="No.", actor=Actor.of(dave), known_on=KNOWN)
    assert differences() == []
    tally = total_of(Filters())
    assert (tally.held_up, tally.did_not_hold_up, tally.disputed, tally.proposed) == (1, 1, 0, 0)


# --- the admin --------------------------------------------------------------------------------


@pytest.fixture
def carol_client(carol: User) -> Client:
    client = Client()
    client.force_login(carol)
    return client


def test_the_panel_offers_confirm_and_dispute_on_a_proposal_at_the_top(
    panel: None, make_due: Any, reviewer: User, carol_client: Client
) -> None:
    p = make_due()
    propose(p, reviewer)
    response = carol_client.get(change_url(p))
    html = response.content.decode()
    assert set(response.context["decision"]["forms"]) == {"confirm", "dispute", "reopen"}
    assert "Proposed by alice" in html
    # Above the prediction's own fields, as the outcome panel is.
    assert html.index('id="decision-confirm-panel"') < html.index("field-claim")


def test_a_second_reviewer_confirms_through_the_admin(
    panel: None, make_due: Any, reviewer: User, carol_client: Client
) -> None:
    p = make_due()
    propose(p, reviewer)
    data = {"confirm-note": "Checked it.", "confirm-evidence": "", "confirm-version": str(p.version)}
    response = carol_client.post(decide_url(p, "confirm"), data)
    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.status, p.outcome, p.known_on) == (Status.RESOLVED, Outcome.HELD_UP, KNOWN)


def test_the_admin_refuses_confirming_ones_own_proposal_in_words(
    panel: None, make_due: Any, alice_client: Client, reviewer: User
) -> None:
    p = make_due()
    propose(p, reviewer)
    data = {"confirm-note": "Checked it.", "confirm-evidence": "", "confirm-version": str(p.version)}
    response = alice_client.post(decide_url(p, "confirm"), data)
    assert response.status_code == 200
    assert OWN_PROPOSAL in response.context["decision"]["forms"]["confirm"].non_field_errors()
    assert nothing_written(p, events=1, version=2, status=Status.PROPOSED)


def test_a_dispute_through_the_admin_asks_when_it_became_known(
    panel: None, make_due: Any, reviewer: User, carol_client: Client
) -> None:
    p = make_due()
    propose(p, reviewer)
    data = {
        "dispute-outcome": Outcome.DID_NOT_HOLD_UP,
        "dispute-unresolvable_reason": "",
        "dispute-note": "Not in 2026.",
        "dispute-evidence": "",
        "dispute-version": str(p.version),
    }
    response = carol_client.post(decide_url(p, "dispute"), data)
    assert response.context["decision"]["forms"]["dispute"].errors["known_on"] == ["This field is required."]
    response = carol_client.post(decide_url(p, "dispute"), data | {"dispute-known_on": "2026-12-01"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == Status.DISPUTED


def test_the_queue_has_a_filter_for_proposed_and_for_disputed(
    panel: None, make_due: Any, reviewer: User, carol: User, alice_client: Client
) -> None:
    proposed, disputed, due = make_due(), make_due(), make_due()
    propose(proposed, reviewer)
    propose(disputed, reviewer)
    dispute(disputed, outcome=Outcome.DID_NOT_HOLD_UP, note="No.", actor=Actor.of(carol))
    listed = {
        status: [p.pk for p in alice_client.get(CHANGELIST, {"status": status}).context["cl"].result_list]
        for status in ("proposed", "disputed", "due")
    }
    assert listed == {"proposed": [proposed.pk], "disputed": [disputed.pk], "due": [due.pk]}


# --- what the public sees ---------------------------------------------------------------------


def test_the_page_shows_proposed_then_confirmed(
    panel: None, client: Client, make_due: Any, reviewer: User, carol: User
) -> None:
    p = make_due()
    propose(p, reviewer)
    html = client.get(p.get_absolute_url()).content.decode()
    assert "Outcome proposed: <strong>Held up</strong>, known on 30 Nov 2026" in html
    assert "not counted on the scorecard" in html
    assert 'class="badge held_up"' not in html
    confirm(p, note="Checked.", actor=Actor.of(carol))
    html = client.get(p.get_absolute_url()).content.decode()
    assert "Confirmed by a second reviewer." in html
    assert 'class="badge held_up"' in html
    assert "Known on 30 Nov 2026 · recorded on" in html


def test_the_page_shows_a_dispute(
    panel: None, client: Client, make_due: Any, reviewer: User, carol: User
) -> None:
    p = make_due()
    propose(p, reviewer)
    dispute(p, outcome=Outcome.DID_NOT_HOLD_UP, note="No.", actor=Actor.of(carol))
    html = client.get(p.get_absolute_url()).content.decode()
    assert "another <strong>Did not hold up</strong>" in html
    assert "Waiting for a third reviewer" in html


def test_the_feed_announces_a_confirmed_outcome_never_a_proposal(
    panel: None, client: Client, make_due: Any, reviewer: User, carol: User
) -> None:
    p = make_due()
    propose(p, reviewer)
    dispute(p, outcome=Outcome.DID_NOT_HOLD_UP, note="No.", actor=Actor.of(carol))
    reopen(p, note="Start again.", actor=Actor.of(carol))
    feed = reverse("feed-resolved")
    # Nothing was ever settled: neither the proposal, the dispute nor its withdrawal is news.
    assert "<entry>" not in client.get(feed).content.decode()
    propose(p, reviewer)
    confirm(p, note="Checked.", actor=Actor.of(carol))
    assert client.get(feed).content.decode().count("<entry>") == 1


# --- the setting ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["3", "0", "two"])
def test_a_quorum_other_than_1_or_2_stops_the_start_with_one_line(value: str) -> None:
    environ = clean_environ("DATABASE_URL", "SECRET_KEY", "DEBUG")
    environ.update(DJANGO_SETTINGS_MODULE="config.settings", REVIEW_QUORUM=value)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Configuration error: REVIEW_QUORUM must be ")
