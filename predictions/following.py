"""Follow a speaker or a topic by e-mail: sign up, confirm, a daily mail of new outcomes,
unsubscribe.

- **Sign up** (`subscribe`): an address and a speaker or a topic. A confirmation mail goes to the
  address with a signed link (`django.core.signing`, salted, valid CONFIRM_DAYS days); no
  mail about outcomes goes anywhere before that link is used (double opt-in). What the
  page answers is the same whether the address was new, already live or unsubscribed, so
  the form tells nobody who follows whom.
- **Confirm** (`confirm`): the link's page asks for one press of a button (a POST), so a
  mail scanner that opens every link does not confirm on the reader's behalf. Confirming
  starts the subscription at the latest history row: the first mail holds what is new.
- **The daily mail** (`send_follow_mail`, run by the django-q2 schedule "mail followers"):
  for each live subscription, the outcomes recorded, changed or withdrawn on the speaker's
  predictions (or the predictions in the topic) since its last mail, one message per subscription, or none when nothing
  happened. `last_event_id` moves on only after the mail server accepted the message, so
  a failed send is sent by the next run, never dropped.
- **Unsubscribe**: every mail has a link and `List-Unsubscribe` / `List-Unsubscribe-Post`
  headers (RFC 8058 one-click: a POST to the link, no login, no form). The signed link
  never expires, and unsubscribing twice is not an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import Event, PredictionTopic, Speaker, Subscription, Topic

logger = logging.getLogger(__name__)

CONFIRM_DAYS = 7
CONFIRM_SALT = "predictions.following.confirm"
UNSUBSCRIBE_SALT = "predictions.following.unsubscribe"


class BadLink(Exception):
    """A confirmation or unsubscribe link that is forged, damaged or too old."""


def confirm_token(subscription: Subscription) -> str:
    # The address is in the signed value: a link confirms only the address it was mailed to.
    return signing.dumps({"s": subscription.pk, "e": subscription.email.lower()}, salt=CONFIRM_SALT)


def unsubscribe_token(subscription: Subscription) -> str:
    return signing.dumps({"s": subscription.pk}, salt=UNSUBSCRIBE_SALT)


def confirm_url(subscription: Subscription) -> str:
    return settings.SITE_ROOT + reverse("follow-confirm", args=[confirm_token(subscription)])


def unsubscribe_url(subscription: Subscription) -> str:
    return settings.SITE_ROOT + reverse("follow-unsubscribe", args=[unsubscribe_token(subscription)])


Followed = Speaker | Topic


def _what(followed: Followed) -> dict[str, Any]:
    """The subscription's field for what it follows: {"speaker": ...} or {"topic": ...}."""
    return {"speaker": followed} if isinstance(followed, Speaker) else {"topic": followed}


def described(followed: Followed) -> dict[str, str]:
    """How the mails and pages name it: "Ada Lovelace" and "Ada Lovelace's predictions", or
    "the topic Compute" and "the predictions on Compute"."""
    if isinstance(followed, Speaker):
        return {"name": followed.name, "about": f"{followed.name}'s predictions"}
    return {"name": f"the topic {followed.name}", "about": f"the predictions on {followed.name}"}


def subscribe(email: str, followed: Followed) -> None:
    """Ask `email` to confirm following a speaker or a topic; nothing to do for a live
    subscription."""
    now = timezone.now()
    what = _what(followed)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(email__iexact=email, **what).first()
        if subscription is not None and subscription.confirmed_at and not subscription.unsubscribed_at:
            return
        if subscription is None:
            subscription = Subscription.objects.create(email=email, created_at=now, **what)
        else:  # unsubscribed, or never confirmed: confirm afresh
            subscription.confirmed_at = subscription.unsubscribed_at = None
            subscription.save(update_fields=["confirmed_at", "unsubscribed_at"])
    names = described(followed)
    context = {**names, "confirm_url": confirm_url(subscription), "days": CONFIRM_DAYS}
    send(subscription, f"Confirm: follow {names['name']}", "follow_confirm", context)


def _unsigned(token: str, salt: str, max_age: int | None) -> Subscription:
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
        return Subscription.objects.select_related("speaker", "topic").get(pk=value["s"])
    except (signing.BadSignature, KeyError, TypeError, Subscription.DoesNotExist) as error:
        raise BadLink(str(error)) from error


def pending(token: str) -> Subscription:
    """The subscription a confirmation link is for."""
    subscription = _unsigned(token, CONFIRM_SALT, CONFIRM_DAYS * 86400)
    if signing.loads(token, salt=CONFIRM_SALT)["e"] != subscription.email.lower():
        raise BadLink("the link was made for another address")
    return subscription


def confirm(token: str) -> Subscription:
    subscription = pending(token)
    if subscription.confirmed_at is None or subscription.unsubscribed_at is not None:
        subscription.confirmed_at = timezone.now()
        subscription.unsubscribed_at = None
        subscription.last_event_id = Event.objects.aggregate(last=Max("id"))["last"] or 0
        subscription.save(update_fields=["confirmed_at", "unsubscribed_at", "last_event_id"])
    return subscription


def subscription_of(token: str) -> Subscription:
    """The subscription an unsubscribe link is for (such links never expire)."""
    return _unsigned(token, UNSUBSCRIBE_SALT, None)


def unsubscribe(token: str) -> Subscription:
    subscription = subscription_of(token)
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return subscription


def send(subscription: Subscription, subject: str, template: str, context: dict[str, object]) -> None:
    """One message to the subscription's address, with the one-click unsubscribe headers."""
    unsubscribe_link = unsubscribe_url(subscription)
    context = {**context, "unsubscribe_url": unsubscribe_link}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"predictions/email/{template}.txt", context),
        to=[subscription.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.send()


def followed_predictions(subscription: Subscription) -> Q:
    """The history rows of what a subscription follows: its speaker's predictions, or the
    predictions in its topic (as they are now: a prediction added to the topic later brings
    its later outcomes, never a mail about the past)."""
    if subscription.speaker_id:
        return Q(prediction__speaker_id=subscription.speaker_id)
    in_topic = PredictionTopic.objects.filter(topic_id=subscription.topic_id).values("prediction_id")
    return Q(prediction_id__in=in_topic)


@dataclass(frozen=True)
class Sent:
    mails: int
    failed: int


def send_follow_mail() -> Sent:
    """The daily mail: for each live subscription, the outcomes since its last one."""
    mails = failed = 0
    live = Subscription.objects.live().select_related("speaker", "topic").order_by("pk")
    for subscription in live.iterator():
        events = list(
            # What the feeds announce (a settled outcome, or one withdrawn): a panel's
            # proposal, a dispute and the withdrawal of either settled nothing.
            Event.objects.announced()
            .filter(id__gt=subscription.last_event_id)
            .filter(followed_predictions(subscription))
            .select_related("prediction")
            .order_by("id")[:200]
        )
        if not events:
            continue
        names = described(subscription.followed)
        context = {
            **names,
            "events": [(e, settings.SITE_ROOT + e.prediction.get_absolute_url()) for e in events],
        }
        title = subscription.speaker.name if subscription.speaker_id else subscription.topic.name
        try:
            send(subscription, f"{title}: {len(events)} outcome update(s)", "follow_digest", context)
        except OSError:
            # The server refused or could not be reached: this subscription's mail is sent
            # by the next run, with anything newer.
            logger.exception("Could not send the follow mail of subscription %s", subscription.pk)
            failed += 1
            continue
        Subscription.objects.filter(pk=subscription.pk).update(last_event_id=events[-1].id)
        mails += 1
    return Sent(mails=mails, failed=failed)
