"""Readers who follow a speaker or a topic by e-mail (`predictions/following.py` sends the mail).

A subscription is live once its address confirmed it (double opt-in: a signed link mailed
to the address) and until the reader unsubscribes; it is then kept, not deleted, so a
repeated sign-up asks for a fresh confirmation. `last_event_id` is where its mail has got
to in the history: each daily mail holds the outcomes recorded after it, then moves it on.

The address is never shown on a public page, in a feed, the API or an export.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from .catalogue import Speaker
from .topic import Topic


class SubscriptionQuerySet(models.QuerySet):
    def live(self) -> SubscriptionQuerySet:
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Subscription(models.Model):
    email = models.EmailField(max_length=254)
    # What it follows: a speaker or a topic, exactly one of them.
    speaker = models.ForeignKey(
        Speaker, on_delete=models.CASCADE, related_name="subscriptions", null=True, blank=True
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="subscriptions", null=True, blank=True
    )
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    last_event_id = models.BigIntegerField(
        default=0, help_text="The last history row this subscription's mail has covered."
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"), "speaker", name="subscription_one_per_address_and_speaker"
            ),
            models.UniqueConstraint(Lower("email"), "topic", name="subscription_one_per_address_and_topic"),
            models.CheckConstraint(
                condition=Q(speaker__isnull=False, topic__isnull=True)
                | Q(speaker__isnull=True, topic__isnull=False),
                name="subscription_speaker_xor_topic",
            ),
        ]

    def __str__(self) -> str:
        followed = f"speaker {self.speaker_id}" if self.speaker_id else f"topic {self.topic_id}"
        return f"subscription {self.pk} to {followed}"

    @property
    def followed(self) -> Speaker | Topic:
        """The speaker or topic it follows (selected with it, or one query)."""
        return self.speaker if self.speaker_id else self.topic
