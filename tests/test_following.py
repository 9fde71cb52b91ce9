"""Following a speaker by e-mail (predictions/following.py, follow_views.py): sign up,
confirm (double opt-in), the daily mail of outcomes, one-click unsubscribe, and what the form
refuses. With Django's mail outbox."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client

from predictions import following
from predictions.actors import Actor
from predictions.decisions import reopen, resolve
from predictions.models import Outcome, Subscription
from predictions.tasks import flag_due

pytestmark = pytest.mark.django_db

ADDRESS = "reader@example.org"


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()  # the sign-up count lives in the cache


def link(message, name: str) -> str:
    [url] = re.findall(rf"http://testserver(/follow/{name}/[^/\s]+/)", message.body)
    return url


def sign_up(client: Client, slug: str, email: str = ADDRESS, **extra: str):
    return client.post(f"/speakers/{slug}/follow/", {"email": email, "website": "", **extra})


@pytest.fixture
def decide(reviewer):
    def decide(prediction, outcome, at):
        flag_due(as_of=date(2027, 1, 1))
        prediction.refresh_from_db()
        resolve(prediction, outcome=outcome, note="Checked.", actor=Actor.of(reviewer), at=at)
        prediction.refresh_from_db()

    return decide


@pytest.fixture(autouse=True)
def site_root(settings):
    settings.SITE_ROOT = "http://testserver"


def test_sign_up_confirm_mail_and_unsubscribe(client, speaker, grace, make_prediction, decide, reviewer):  # noqa: PLR0913 - fixtures
    ada = make_prediction(speaker=speaker, claim="Ada's engine computes.")
    other = make_prediction(speaker=grace, claim="Grace's compiler compiles.")

    # Sign up: a confirmation mail, and nothing else until it is used.
    response = sign_up(client, speaker.slug)
    assert response.status_code == 200
    assert ADDRESS not in response.content.decode()  # never repeated
    [confirmation] = mail.outbox
    assert confirmation.to == [ADDRESS]
    assert "Ada Lovelace" in confirmation.subject
    confirm = link(confirmation, "confirm")
    decide(ada, Outcome.HELD_UP, datetime(2027, 1, 2, 9, 0, tzinfo=UTC))  # before confirming: not mailed
    assert following.send_follow_mail() == following.Sent(mails=0, failed=0)

    # Opening the link does not confirm (mail scanners open links); the button does.
    page = client.get(confirm)
    assert page.status_code == 200 and "Confirm" in page.content.decode()
    assert Subscription.objects.live().count() == 0
    assert client.post(confirm).status_code == 200
    assert Subscription.objects.live().count() == 1

    # A new outcome for Ada (and one for Grace, whom the reader does not follow).
    later = make_prediction(speaker=speaker, claim="Ada's second engine computes.")
    decide(later, Outcome.PARTIALLY, datetime(2027, 1, 3, 9, 0, tzinfo=UTC))
    decide(other, Outcome.HELD_UP, datetime(2027, 1, 3, 9, 0, tzinfo=UTC))
    mail.outbox.clear()
    assert following.send_follow_mail() == following.Sent(mails=1, failed=0)
    [digest] = mail.outbox
    assert digest.to == [ADDRESS]
    assert "Ada's second engine computes." in digest.body and "Partially held up" in digest.body
    assert "Ada's engine computes." not in digest.body  # recorded before the reader confirmed
    assert "Grace" not in digest.body
    unsubscribe = link(digest, "unsubscribe")
    assert digest.extra_headers["List-Unsubscribe"] == f"<http://testserver{unsubscribe}>"
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Nothing new: no mail. A withdrawn outcome: mailed as withdrawn.
    mail.outbox.clear()
    assert following.send_follow_mail().mails == 0
    reopen(later, note="The source was retracted.", actor=Actor.of(reviewer))
    assert following.send_follow_mail().mails == 1
    assert "Outcome withdrawn" in mail.outbox[0].body

    # One click, as a mail client does it: a POST with no CSRF token and no login.
    one_click = Client(enforce_csrf_checks=True)
    assert one_click.post(unsubscribe, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert one_click.post(unsubscribe).status_code == 200  # twice is fine
    assert Subscription.objects.live().count() == 0
    mail.outbox.clear()
    resolve(later, outcome=Outcome.HELD_UP, note="Restored.", actor=Actor.of(reviewer))
    assert following.send_follow_mail().mails == 0
    assert mail.outbox == []


def test_a_second_sign_up_tells_nothing_and_a_live_one_is_not_asked_again(client, speaker):
    first = sign_up(client, speaker.slug).content
    client.post(link(mail.outbox[0], "confirm"))
    mail.outbox.clear()
    again = sign_up(client, speaker.slug, email=ADDRESS.upper()).content
    assert again == first  # the same answer: the form does not say who follows whom
    assert mail.outbox == []
    assert Subscription.objects.count() == 1


def test_forged_damaged_and_old_links_are_refused(client, speaker):
    sign_up(client, speaker.slug)
    confirm = link(mail.outbox[0], "confirm")
    assert client.post(confirm[:-3] + "xx/").status_code == 400
    unsubscribe = link(mail.outbox[0], "unsubscribe")
    # A confirmation token is no unsubscribe token, and the reverse (different salts).
    assert client.post(unsubscribe.replace("unsubscribe", "confirm")).status_code == 400
    with time_machine.travel(datetime.now(UTC) + timedelta(days=following.CONFIRM_DAYS, hours=1)):
        response = client.post(confirm)
    assert response.status_code == 400 and "too old" in response.content.decode()
    assert Subscription.objects.live().count() == 0


def test_a_bad_address_is_refused_naming_the_field(client, speaker):
    response = sign_up(client, speaker.slug, email="not an address")
    assert response.status_code == 400
    assert "Your e-mail address: Enter a valid email address." in response.content.decode()
    assert mail.outbox == [] and not Subscription.objects.exists()


def test_the_robot_field_sends_nothing(client, speaker):
    response = sign_up(client, speaker.slug, website="http://spam.example")
    assert response.status_code == 200  # answered as if accepted
    assert mail.outbox == [] and not Subscription.objects.exists()


def test_sign_ups_are_counted_per_address(client, speaker, settings):
    for _ in range(5):  # FOLLOW_RATE: 5 an hour
        assert sign_up(client, speaker.slug).status_code == 200
    refused = sign_up(client, speaker.slug, email="another@example.org")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert not Subscription.objects.filter(email="another@example.org").exists()
    other_client = sign_up(Client(REMOTE_ADDR="192.0.2.7"), speaker.slug, email="another@example.org")
    assert other_client.status_code == 200


def test_a_failed_send_is_sent_by_the_next_run(client, speaker, make_prediction, decide, monkeypatch):
    sign_up(client, speaker.slug)
    client.post(link(mail.outbox[0], "confirm"))
    decide(make_prediction(speaker=speaker), Outcome.HELD_UP, datetime(2027, 1, 3, 9, 0, tzinfo=UTC))
    real_send = following.send

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(following, "send", refused)
    assert following.send_follow_mail() == following.Sent(mails=0, failed=1)
    monkeypatch.setattr(following, "send", real_send)
    mail.outbox.clear()
    assert following.send_follow_mail() == following.Sent(mails=1, failed=0)


def test_the_speaker_page_links_the_sign_up(client, speaker):
    html = client.get(f"/speakers/{speaker.slug}/").content.decode()
    assert f'href="/speakers/{speaker.slug}/follow/" id="follow-by-email"' in html
    assert client.get(f"/speakers/{speaker.slug}/follow/").status_code == 200


def test_a_panels_proposal_and_its_withdrawal_are_not_mailed_its_confirmation_is(  # noqa: PLR0913 - fixtures
    client, speaker, make_prediction, decide, reviewer, settings
):
    from django.contrib.auth.models import User

    from predictions.decisions import confirm

    settings.REVIEW_QUORUM = 2
    sign_up(client, speaker.slug)
    client.post(link(mail.outbox[0], "confirm"))
    mail.outbox.clear()
    withdrawn, confirmed = make_prediction(speaker=speaker), make_prediction(speaker=speaker)
    decide(withdrawn, Outcome.HELD_UP, datetime(2027, 1, 3, 9, 0, tzinfo=UTC))  # proposed only
    reopen(withdrawn, note="Proposed too early.", actor=Actor.of(reviewer))
    assert following.send_follow_mail() == following.Sent(mails=0, failed=0)

    decide(confirmed, Outcome.DID_NOT_HOLD_UP, datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    carol = Actor.of(User.objects.create_user("carol", is_staff=True))
    confirmed.refresh_from_db()
    confirm(confirmed, note="Checked the report.", actor=carol)
    assert following.send_follow_mail() == following.Sent(mails=1, failed=0)
    [message] = mail.outbox
    assert confirmed.claim in message.body and withdrawn.claim not in message.body
