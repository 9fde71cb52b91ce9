"""Following a topic by e-mail (following.py, follow_views.py), beside following a speaker:
sign up, confirm (double opt-in), the daily mail of the outcomes recorded on the topic's
predictions, one-click unsubscribe, the form's rate limit. With Django's mail outbox."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from predictions import following
from predictions.actors import Actor
from predictions.decisions import resolve
from predictions.models import Outcome, Subscription, Topic
from predictions.tasks import flag_due

pytestmark = pytest.mark.django_db

ADDRESS = "reader@example.org"


@pytest.fixture(autouse=True)
def fresh_counts(settings):
    cache.clear()  # the sign-up count lives in the cache
    settings.SITE_ROOT = "http://testserver"


@pytest.fixture
def compute(db) -> Topic:
    return Topic.objects.create(slug="compute", name="Compute", description="Clusters and chips.")


def link(message, name: str) -> str:
    [url] = re.findall(rf"http://testserver(/follow/{name}/[^/\s]+/)", message.body)
    return url


def decide(prediction, outcome, reviewer, day: int) -> None:
    flag_due(as_of=date(2027, 1, 1))
    prediction.refresh_from_db()
    at = datetime(2027, 1, day, 9, 0, tzinfo=UTC)
    resolve(prediction, outcome=outcome, note="Checked.", actor=Actor.of(reviewer), at=at)


def test_follow_a_topic_confirm_mail_on_an_outcome_and_unsubscribe(  # noqa: PLR0913 - fixtures
    client: Client, compute, speaker, grace, make_prediction, reviewer
) -> None:
    in_topic = make_prediction(speaker=speaker, claim="Clusters double.")
    in_topic.topics.add(compute)
    elsewhere = make_prediction(speaker=speaker, claim="Looms weave.")  # same speaker, not the topic

    page = client.get("/topics/compute/follow/")
    assert page.status_code == 200 and "Follow the topic Compute by e-mail" in page.content.decode()
    response = client.post("/topics/compute/follow/", {"email": ADDRESS, "website": ""})
    assert response.status_code == 200 and ADDRESS not in response.content.decode()
    [confirmation] = mail.outbox
    assert confirmation.subject == "Confirm: follow the topic Compute"
    assert "the predictions on Compute" in confirmation.body
    assert following.send_follow_mail().mails == 0  # not confirmed: nothing

    confirm = link(confirmation, "confirm")
    assert Subscription.objects.live().count() == 0
    assert client.get(confirm).status_code == 200 and Subscription.objects.live().count() == 0
    confirmed = client.post(confirm)
    assert "You follow the topic Compute" in confirmed.content.decode()
    assert Subscription.objects.live().get().topic == compute

    # A second prediction joins the topic, by another speaker: followed too.
    joined = make_prediction(speaker=grace, claim="Chips get cheaper.")
    joined.topics.add(compute)
    decide(in_topic, Outcome.HELD_UP, reviewer, 2)
    decide(elsewhere, Outcome.HELD_UP, reviewer, 2)
    decide(joined, Outcome.DID_NOT_HOLD_UP, reviewer, 3)
    mail.outbox.clear()
    assert following.send_follow_mail() == following.Sent(mails=1, failed=0)
    [digest] = mail.outbox
    assert digest.subject == "Compute: 2 outcome update(s)"
    assert "Clusters double." in digest.body and "Chips get cheaper." in digest.body
    assert "Looms weave." not in digest.body
    assert "New outcomes for the predictions on Compute:" in digest.body
    unsubscribe = link(digest, "unsubscribe")
    assert digest.extra_headers["List-Unsubscribe"] == f"<http://testserver{unsubscribe}>"
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mail.outbox.clear()
    assert following.send_follow_mail().mails == 0  # nothing new

    one_click = Client(enforce_csrf_checks=True)
    assert one_click.post(unsubscribe, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Subscription.objects.live().count() == 0
    other = make_prediction(claim="Fabs multiply.")
    other.topics.add(compute)
    decide(other, Outcome.HELD_UP, reviewer, 4)
    assert following.send_follow_mail().mails == 0 and mail.outbox == []


def test_following_a_speaker_and_a_topic_are_two_subscriptions(compute, speaker) -> None:
    following.subscribe(ADDRESS, speaker)
    following.subscribe(ADDRESS, compute)
    following.subscribe(ADDRESS.upper(), compute)  # the same address: still one
    assert Subscription.objects.filter(speaker=speaker).count() == 1
    assert Subscription.objects.filter(topic=compute).count() == 1


def test_a_subscription_follows_exactly_one_thing(compute, speaker) -> None:
    for what in ({}, {"speaker": speaker, "topic": compute}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Subscription.objects.create(email=ADDRESS, created_at=timezone.now(), **what)


def test_the_topic_sign_up_is_rate_limited_like_the_speakers(client: Client, compute) -> None:
    for i in range(5):  # FOLLOW_RATE: 5 an hour
        assert client.post("/topics/compute/follow/", {"email": f"r{i}@example.org"}).status_code == 200
    refused = client.post("/topics/compute/follow/", {"email": "late@example.org"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert client.get("/topics/nope/follow/").status_code == 404
