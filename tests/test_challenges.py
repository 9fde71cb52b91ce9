"""Readers contest outcomes and reviewers answer (predictions/challenges.py, challenge_views.py,
admin/challenges.py): never public before an answer, never with the reader's address,
upheld reopens through the transition table, declined shows its reason."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache
from django.test import Client

from predictions import challenges
from predictions.actors import Actor
from predictions.decisions import reopen, resolve
from predictions.models import Challenge, ChallengeStatus, EventKind, Outcome, Status
from predictions.tasks import flag_due

pytestmark = pytest.mark.django_db

AT = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
READER = "198.51.100.23"


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()


@pytest.fixture
def held_up(make_prediction, speaker, reviewer):
    p = make_prediction(speaker=speaker)
    flag_due(as_of=date(2027, 1, 1))
    p.refresh_from_db()
    resolve(p, outcome=Outcome.HELD_UP, note="The lab announced it.", actor=Actor.of(reviewer), at=AT)
    p.refresh_from_db()
    return p


def contest(client: Client, p, **fields: str):
    data = {
        "reason": "The announcement was withdrawn a week later.",
        "evidence": "https://example.org/retraction",
        "website": "",
    }
    return client.post(f"/predictions/{p.pk}/challenge/", {**data, **fields}, REMOTE_ADDR=READER)


def test_a_challenge_waits_unseen_until_a_reviewer_declines_it_with_a_public_reason(
    client, held_up, reviewer
):
    response = contest(client, held_up)
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    [c] = Challenge.objects.all()
    assert (c.status, c.contested_outcome, c.evidence) == (
        ChallengeStatus.PENDING,
        Outcome.HELD_UP,
        ["https://example.org/retraction"],
    )
    # Nothing of it on the page, and nothing of the reader kept anywhere in the row.
    page = client.get(held_up.get_absolute_url()).content.decode()
    assert "withdrawn a week later" not in page
    stored = " ".join(str(getattr(c, f.attname)) for f in Challenge._meta.concrete_fields)
    assert READER not in stored

    challenges.answer(
        c, upheld=False, text="The retraction was of a different model.", actor=Actor.of(reviewer)
    )
    page = client.get(held_up.get_absolute_url()).content.decode()
    assert "withdrawn a week later" in page and "The retraction was of a different model." in page
    assert "Declined</strong> by Reviewer" in page and "alice" not in page
    held_up.refresh_from_db()
    assert (held_up.status, held_up.outcome) == (Status.RESOLVED, Outcome.HELD_UP)


def test_an_upheld_challenge_reopens_the_prediction_in_its_history(client, held_up, reviewer):
    contest(client, held_up)
    c = challenges.answer(
        Challenge.objects.get(), upheld=True, text="Confirmed: it was withdrawn.", actor=Actor.of(reviewer)
    )
    held_up.refresh_from_db()
    assert (held_up.status, held_up.outcome) == (Status.DUE, "")
    last = held_up.events.order_by("-id").first()
    assert (last.kind, last.actor, c.reopening_id) == (EventKind.REOPENED, reviewer, last.pk)
    assert last.note == f"Challenge {c.pk} upheld: Confirmed: it was withdrawn."
    # Answered once.
    with pytest.raises(challenges.ChallengeError, match="already answered"):
        challenges.answer(c, upheld=False, text="Changed my mind.", actor=Actor.of(reviewer))


def test_upheld_after_someone_else_withdrew_the_outcome_records_the_answer_only(client, held_up, reviewer):
    contest(client, held_up)
    reopen(held_up, note="Seen independently.", actor=Actor.of(reviewer))
    c = challenges.answer(Challenge.objects.get(), upheld=True, text="Agreed.", actor=Actor.of(reviewer))
    assert c.status == ChallengeStatus.UPHELD and c.reopening is None
    assert held_up.events.filter(kind=EventKind.REOPENED).count() == 1


def test_bad_input_names_the_field_and_writes_nothing(client, held_up):
    response = contest(client, held_up, reason="", evidence="javascript:alert(1)")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Why the outcome is wrong: This field is required." in html
    assert "Evidence: Line 1 is not a valid http(s) URL: javascript:alert(1)" in html
    assert not Challenge.objects.exists()


def test_the_robot_field_and_the_limit_write_nothing(client, held_up):
    assert contest(client, held_up, website="http://spam.example").status_code == 200
    assert not Challenge.objects.exists()
    for _ in range(2):  # CHALLENGE_RATE: 3 an hour, the robot's included
        assert contest(client, held_up).status_code == 200
    refused = contest(client, held_up)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    # The one 429 (throttle.too_many), as a page that says how long and that nothing was kept.
    html = refused.content.decode()
    assert "<h1>Too many challenges</h1>" in html
    assert f"Too many challenges from your address: try again in {refused['Retry-After']} seconds." in html
    assert "Nothing was saved." in html
    assert Challenge.objects.count() == 2


def test_only_a_recorded_outcome_can_be_contested(client, make_prediction):
    p = make_prediction()
    assert client.get(f"/predictions/{p.pk}/challenge/").status_code == 409
    assert contest(client, p).status_code == 409
    assert not Challenge.objects.exists()
    assert 'id="contest-link"' not in client.get(p.get_absolute_url()).content.decode()


def test_a_reviewer_answers_in_the_admin_queue(client, alice_client, held_up, staff):
    contest(client, held_up)
    c = Challenge.objects.get()
    index = alice_client.get("/admin/").content.decode()
    assert "<strong>1</strong> reader challenge to answer" in index
    url = f"/admin/predictions/challenge/{c.pk}/change/"
    assert "withdrawn a week later" in alice_client.get(url).content.decode()
    # An empty answer is refused, naming the field.
    response = alice_client.post(url, {"decision": "decline", "text": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    response = alice_client.post(url, {"decision": "uphold", "text": "Confirmed."})
    assert response.status_code == 302
    c.refresh_from_db()
    held_up.refresh_from_db()
    assert (c.status, held_up.status) == (ChallengeStatus.UPHELD, Status.DUE)
    # Answered: read-only from now on; staff without the permission may read, not answer.
    assert alice_client.post(url, {"decision": "decline", "text": "No."}).status_code == 403
    staff_client = Client()
    staff_client.force_login(staff)
    assert staff_client.get(url).status_code == 200
    assert staff_client.post(url, {"decision": "decline", "text": "No."}).status_code == 403
