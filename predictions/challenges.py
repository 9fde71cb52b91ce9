"""Readers contest outcomes; reviewers answer (the model: `models/challenge.py`).

`submit` takes a challenge to a recorded outcome. `answer` is a reviewer's reply, given
once: upheld withdraws the outcome with `decisions.reopen` (a history row by that reviewer,
naming the challenge) and the prediction goes back to the review queue; declined keeps the
outcome and shows the reviewer's reason publicly. Both in one transaction, so a challenge
is never marked upheld without its reopening, nor answered twice by two reviewers at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from . import decisions
from .actors import Actor
from .models import Challenge, ChallengeStatus, Prediction, Status


class ChallengeError(Exception):
    """The challenge or its answer cannot be taken as asked; nothing was written."""


def submit(prediction: Prediction, *, reason: str, evidence: Sequence[str]) -> Challenge:
    if prediction.status != Status.RESOLVED:
        raise ChallengeError("Only a recorded outcome can be contested, and this prediction has none now.")
    return Challenge.objects.create(
        prediction=prediction,
        contested_outcome=prediction.outcome,
        reason=reason.strip(),
        evidence=list(evidence),
        created_at=timezone.now(),
    )


def answer(challenge: Challenge, *, upheld: bool, text: str, actor: Actor) -> Challenge:
    if not text.strip():
        raise ChallengeError("Say why: the answer is shown publicly with the challenge.")
    with transaction.atomic():
        current = Challenge.objects.select_for_update().select_related("prediction").get(pk=challenge.pk)
        if current.status != ChallengeStatus.PENDING:
            raise ChallengeError(
                f"This challenge was already answered ({current.get_status_display().lower()})."
            )
        reopening = None
        prediction = current.prediction
        # Upheld while the contested outcome still stands: withdraw it. Already withdrawn
        # or changed meanwhile: the answer is recorded, nothing else is undone.
        if (
            upheld
            and prediction.status == Status.RESOLVED
            and prediction.outcome == current.contested_outcome
        ):
            try:
                reopening = decisions.reopen(
                    prediction, note=f"Challenge {current.pk} upheld: {text.strip()}", actor=actor
                )
            except decisions.DecisionError as error:
                raise ChallengeError(str(error)) from error
        updated = Challenge.objects.filter(pk=current.pk, status=ChallengeStatus.PENDING).update(
            status=ChallengeStatus.UPHELD if upheld else ChallengeStatus.DECLINED,
            answer=text.strip(),
            answered_at=timezone.now(),
            answered_by=actor.user,
            reopening=reopening,
        )
        if updated != 1:
            raise ChallengeError("This challenge was answered by someone else meanwhile.")
    current.refresh_from_db()
    return current
