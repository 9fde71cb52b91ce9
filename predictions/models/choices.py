"""The vocabulary every module shares: statuses, outcomes, horizons, how a speaker is known,
and the names and defaults that go with them. Each has one home, here."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q

# The permission that lets a reviewer record, change, defer or reopen an outcome.
RESOLVE_PERMISSION = "predictions.resolve_prediction"
# Predictions nobody is named for: the filters' value for them, and how pages label them.
# "unattributed" is reserved: a speaker with that slug could not be picked by a filter.
UNATTRIBUTED = "unattributed"
UNATTRIBUTED_LABEL = "Unattributed (panel)"


class Horizon(models.TextChoices):
    NEAR = "near", "Near term"
    MEDIUM = "medium", "Medium term"
    LONG = "long", "Long term"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    DUE = "due", "Due for review"
    RESOLVED = "resolved", "Resolved"
    # A panel (settings.REVIEW_QUORUM = 2): an outcome one reviewer proposed, waiting for a
    # second to confirm it; and one two reviewers disagreed on, waiting for a third. Neither
    # is counted as an outcome anywhere (the prediction's outcome column stays empty).
    PROPOSED = "proposed", "Outcome proposed"
    DISPUTED = "disputed", "Outcome disputed"


class Outcome(models.TextChoices):
    HELD_UP = "held_up", "Held up"
    PARTIALLY = "partially", "Partially held up"
    DID_NOT_HOLD_UP = "did_not_hold_up", "Did not hold up"
    UNRESOLVABLE = "unresolvable", "Unresolvable"


class UnresolvableReason(models.TextChoices):
    TOO_VAGUE = "too_vague", "Too vague to judge"
    CONDITION_NEVER_AROSE = "condition_never_arose", "The condition never arose"
    NOT_YET_KNOWABLE = "not_yet_knowable", "Not yet knowable"
    OTHER = "other", "Other (see note)"


class Attribution(models.TextChoices):
    """How the speaker of a prediction is known."""

    NAMED = "named", "Named in the source's text"
    TRANSCRIPT = "transcript", "From a labelled transcript"
    INFERRED = "inferred", "Inferred from an unlabelled transcript"
    UNATTRIBUTED = "unattributed", "Unattributed"


class StanceKind(models.TextChoices):
    AGREES = "agrees", "Agrees"
    DISPUTES = "disputes", "Disputes"


class SourceKind(models.TextChoices):
    PODCAST = "podcast", "Podcast"
    ARTICLE = "article", "Article"
    TALK = "talk", "Talk"
    INTERVIEW = "interview", "Interview"
    PAPER = "paper", "Paper"
    POST = "post", "Post"
    OTHER = "other", "Other"


# Default horizons (documented in docs/using.md, "Data model"); every due date stays editable per prediction.
MEDIUM_TERM_YEARS = 3
LONG_TERM_YEARS = 20


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def default_due_on(horizon: str, stated_on: date, horizon_as_said: str = "") -> date:
    """The due date a horizon implies, before any per-prediction edit.

    Near term runs to the end of the year it was said in; medium and long term add a
    fixed number of years; "N years out" said explicitly wins over the default.
    """
    said = horizon_as_said.strip().lower()
    if said.endswith("years out") and said.split()[0].isdigit():
        return add_years(stated_on, int(said.split()[0]))
    if horizon == Horizon.NEAR:
        return date(stated_on.year, 12, 31)
    if horizon == Horizon.MEDIUM:
        return add_years(stated_on, MEDIUM_TERM_YEARS)
    if horizon == Horizon.LONG:
        return add_years(stated_on, LONG_TERM_YEARS)
    raise ValueError(f"unknown horizon {horizon!r}")


# The attributions that name a speaker; the scorecard's strict filter keeps the first two.
ATTRIBUTED = [Attribution.NAMED, Attribution.TRANSCRIPT, Attribution.INFERRED]
ATTESTED = [Attribution.NAMED, Attribution.TRANSCRIPT]


# A speaker exactly when something attributes one: the rule of every record that names its
# speaker (a prediction, a candidate). One home for the database's CHECK, the models'
# clean(), the accept form, accepting a candidate and the import, which all ask these.
SPEAKER_OR_NEITHER = "Choose a speaker and how they are known, or neither (unattributed)."


def speaker_agrees(has_speaker: bool, attribution: str) -> bool:
    return has_speaker == (attribution in ATTRIBUTED)


def speaker_iff_attributed(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=(Q(speaker__isnull=True) & Q(attribution=Attribution.UNATTRIBUTED))
        | (Q(speaker__isnull=False) & Q(attribution__in=ATTRIBUTED)),
        name=name,
    )
