"""For the admin's index: how many predictions wait for review, from the tally (one small
query, whatever the number of predictions), and how many readers' challenges wait."""

from __future__ import annotations

from django import template

from ..filtering import Filters
from ..models import Challenge, ChallengeStatus
from ..tallies import total_of

register = template.Library()


@register.simple_tag
def waiting_for_review() -> int:
    """Predictions whose status is due: flagged by the schedule, or back from a deferral."""
    return total_of(Filters()).due


@register.simple_tag
def challenges_waiting() -> int:
    return Challenge.objects.filter(status=ChallengeStatus.PENDING).count()
