"""A reviewer's decision on a candidate: accept (creating the tracked prediction and its
first history row), merge into an existing prediction, or reject.

Each decision locks the candidate and refuses one that someone else decided meanwhile, so
two reviewers cannot both accept the same candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from predictions.decisions import Actor, DecisionError
from predictions.models import (
    SPEAKER_OR_NEITHER,
    Attribution,
    EventKind,
    Prediction,
    Speaker,
    Status,
    speaker_agrees,
)
from predictions.transitions import Step, history_row

from ..models import Candidate, CandidateStatus

KEY_MAX = 60  # of Prediction.key's 120, leaving room for a "-2" suffix


@dataclass(frozen=True)
class Acceptance:
    """What the reviewer confirmed on the accept page (defaults: the candidate's own)."""

    claim: str
    speaker: Speaker | None
    attribution: str
    horizon: str
    horizon_as_said: str
    due_on: date
    resolution_criteria: str
    # The candidate's proposed person, not yet a stored speaker: create them on accepting.
    create_speaker: bool = False


def _new_speaker(candidate: Candidate) -> Speaker:
    """The speaker the candidate's proposed person becomes: the stored one of the same name
    if someone made it meanwhile, else a new one (with the opening paragraph's description),
    recorded on the person so the next claim credited to them finds it."""
    person = candidate.person
    if person is None:
        raise DecisionError("This candidate proposes no new speaker: choose one from the list.")
    if person.speaker_id is not None:
        return person.speaker
    speaker = Speaker.objects.filter(name=person.name).order_by("pk").first()
    if speaker is None:
        base = slugify(person.name)[:190] or "speaker"
        slug, n = base, 1
        while Speaker.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        speaker = Speaker.objects.create(name=person.name, slug=slug, bio=person.description)
    person.speaker = speaker
    person.save(update_fields=["speaker"])
    return speaker


def _attribution_note(candidate: Candidate, acceptance: Acceptance) -> str:
    if acceptance.attribution == Attribution.UNATTRIBUTED:
        return ""
    proposed = candidate.speaker_id or (candidate.person.speaker_id if candidate.person else None)
    if acceptance.speaker is not None and acceptance.speaker.pk == proposed:
        if acceptance.attribution == Attribution.NAMED:
            return f"Named in the summary ({candidate.section}, line {candidate.line})."
        if acceptance.attribution == Attribution.TRANSCRIPT:
            return f"Labelled in the transcript at {candidate.source_timestamp} s."
    return "Chosen by the reviewer when accepting the candidate."


def _named(exc: ValidationError) -> str:
    """'claim: Ensure this value has at most 1000 characters (it has 1200).' and so on."""
    return " ".join(
        f"{'' if field == '__all__' else field.replace('_', ' ') + ': '}{message}"
        for field, messages in exc.message_dict.items()
        for message in messages
    )


def unique_key(source_id: int, claim: str) -> str:
    base = slugify(claim)[:KEY_MAX].rstrip("-") or "prediction"
    taken = set(
        Prediction.objects.filter(source_id=source_id, key__startswith=base).values_list("key", flat=True)
    )
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def _locked(candidate_id: int) -> Candidate:
    candidate = (
        Candidate.objects.select_for_update(of=("self",))
        .select_related("source", "person")
        .get(pk=candidate_id)
    )
    if candidate.status != CandidateStatus.PROPOSED:
        who = candidate.decided_by.get_username() if candidate.decided_by else "someone"
        raise DecisionError(
            f"This candidate was already {candidate.get_status_display().lower()} by {who} "
            f"at {timezone.localtime(candidate.decided_at):%Y-%m-%d %H:%M}."
        )
    return candidate


def _decided(
    candidate: Candidate, status: str, actor: Actor, prediction: Prediction | None, reason: str = ""
) -> None:
    candidate.status = status
    candidate.prediction = prediction
    candidate.decided_by = actor.user
    candidate.decided_at = timezone.now()
    candidate.reject_reason = reason[:500]
    candidate.save(update_fields=["status", "prediction", "decided_by", "decided_at", "reject_reason"])


def accept(candidate_id: int, acceptance: Acceptance, actor: Actor) -> Prediction:
    with transaction.atomic():
        candidate = _locked(candidate_id)
        if acceptance.create_speaker and acceptance.speaker is None:
            # In the same transaction as the prediction: a refused accept creates nobody.
            acceptance = replace(acceptance, speaker=_new_speaker(candidate))
        if not speaker_agrees(acceptance.speaker is not None, acceptance.attribution):
            raise DecisionError(SPEAKER_OR_NEITHER)
        if acceptance.due_on < candidate.source.published_on:
            raise DecisionError("The due date cannot be before the date the source was published.")
        fields: dict[str, object] = {
            "source": candidate.source,
            "key": unique_key(candidate.source_id, acceptance.claim),
            "claim": acceptance.claim,
            "quote": candidate.text,
            "speaker": acceptance.speaker,
            "section": candidate.section,
            "source_timestamp": candidate.source_timestamp,
            "horizon": acceptance.horizon,
            "horizon_as_said": acceptance.horizon_as_said,
            "stated_on": candidate.source.published_on,
            "due_on": acceptance.due_on,
            "resolution_criteria": acceptance.resolution_criteria,
        }
        fields["attribution"] = acceptance.attribution
        fields["attribution_note"] = _attribution_note(candidate, acceptance)[:500]
        if acceptance.attribution == Attribution.TRANSCRIPT:
            fields["excerpt"] = candidate.passage[:400]  # the speaker's own words
        prediction = Prediction(**fields)
        try:
            # The prediction's own rules (its limits, its constraints) refuse before any write,
            # naming the field, rather than as an error from the database.
            prediction.full_clean()
        except ValidationError as exc:
            raise DecisionError(_named(exc)) from exc
        prediction.save(force_insert=True)
        # An accepted prediction starts open; the row records who took it on and when.
        history_row(
            prediction.pk,
            from_status=Status.OPEN,
            from_outcome="",
            step=Step(EventKind.ACCEPTED, timezone.now()),
            actor_id=actor.user.pk if actor.user else None,
            actor_name=actor.name,
            note=f"Accepted from candidate #{candidate.pk} ({candidate.section}, line {candidate.line}).",
        ).save()
        _decided(candidate, CandidateStatus.ACCEPTED, actor, prediction)
    return prediction


def merge(candidate_id: int, prediction: Prediction, actor: Actor) -> None:
    """The candidate says what `prediction` already tracks: link them, change nothing else."""
    with transaction.atomic():
        _decided(_locked(candidate_id), CandidateStatus.MERGED, actor, prediction)


def reject(candidate_id: int, actor: Actor, reason: str = "") -> None:
    """Reject, keeping the reason (shown on the candidate) so a re-ingest's reviewer knows why."""
    with transaction.atomic():
        _decided(_locked(candidate_id), CandidateStatus.REJECTED, actor, None, reason.strip())


def as_proposed(candidate: Candidate, resolution_criteria: str) -> Acceptance:
    """The candidate's own fields as an acceptance (bulk accept of reviewed rows)."""
    create = candidate.speaker_id is None and candidate.person_id is not None
    return Acceptance(
        claim=candidate.claim,
        speaker=candidate.speaker,
        attribution=candidate.attribution,
        horizon=candidate.horizon,
        horizon_as_said=candidate.horizon_as_said,
        due_on=candidate.due_on,
        resolution_criteria=resolution_criteria,
        create_speaker=create,
    )
