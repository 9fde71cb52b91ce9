"""A reader's challenge to a recorded outcome (`predictions/challenges.py` takes and answers
them).

A challenge is a short reason and evidence links, from anyone, no account. It is kept
without the reader's address or any other trace of who sent it. Nobody but staff sees it
until a reviewer answers: *upheld* (the outcome is withdrawn: the prediction is reopened
through `decisions.reopen`, whose history row it names) or *declined*, with a reason that
is then shown on the prediction's page beside the challenge. An answer is written once, by
an UPDATE conditional on the challenge still waiting, and the admin shows it read-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import Outcome
from .history import Event
from .prediction import NOTE_MAX, Prediction

CHALLENGE_REASON_MAX = 2000


class ChallengeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a reviewer"
    UPHELD = "upheld", "Upheld: the outcome was withdrawn"
    DECLINED = "declined", "Declined"


class ChallengeQuerySet(models.QuerySet):
    def answered(self) -> ChallengeQuerySet:
        return self.exclude(status=ChallengeStatus.PENDING)


class Challenge(models.Model):
    prediction = models.ForeignKey(Prediction, on_delete=models.PROTECT, related_name="challenges")
    # The outcome the reader contested, as it stood when they sent it.
    contested_outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.TextField(max_length=CHALLENGE_REASON_MAX)
    evidence = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ChallengeStatus.choices, default=ChallengeStatus.PENDING)
    answer = models.TextField(max_length=NOTE_MAX, blank=True, help_text="Shown publicly with the challenge.")
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopening = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The history row that withdrew the outcome, when upheld.",
    )  # fmt: skip

    objects = ChallengeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="challenge_queue")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=ChallengeStatus.PENDING, answered_at__isnull=True)
                | models.Q(
                    status__in=[ChallengeStatus.UPHELD, ChallengeStatus.DECLINED], answered_at__isnull=False
                ),
                name="challenge_answered_iff_answered_at",
            ),
        ]

    def __str__(self) -> str:
        return f"Challenge {self.pk} to prediction {self.prediction_id}"
