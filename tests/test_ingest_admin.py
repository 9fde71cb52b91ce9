"""The admin's Candidates: a reviewer accepts (with edits), merges or rejects; other staff
may read but not decide; accepting writes the prediction's first history row."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from predictions.models import (
    Attribution,
    Candidate,
    CandidateStatus,
    Event,
    EventKind,
    Horizon,
    Prediction,
    Status,
)


@pytest.fixture
def candidate(source, speaker) -> Candidate:
    return Candidate.objects.create(
        source=source,
        fingerprint="f" * 64,
        section="Predictions › Robots",
        line=12,
        text="Humanoid robots will work in warehouses by 2029",
        claim="Humanoid robots will work in warehouses by 2029",
        horizon=Horizon.MEDIUM,
        horizon_as_said="by 2029",
        due_on=date(2029, 12, 31),
        speaker=speaker,
        attribution=Attribution.NAMED,
        source_timestamp=750,
        passage="I really think humanoid robots are going to be working in warehouses by 2029.",
        match_score=91.0,
    )


def url(name: str, candidate: Candidate) -> str:
    return reverse(f"admin:predictions_candidate_{name}", args=[candidate.pk])


ACCEPT = {
    "claim": "Humanoid robots work in warehouses by the end of 2029.",
    "speaker": "",
    "attribution": Attribution.UNATTRIBUTED,
    "horizon": Horizon.MEDIUM,
    "horizon_as_said": "by 2029",
    "due_on": "2029-12-31",
    "resolution_criteria": "A warehouse operator reports humanoids in routine use.",
}


@pytest.mark.django_db
def test_the_candidates_list_shows_the_passage_for_any_staff_member(client, staff, candidate) -> None:
    client.force_login(staff)
    response = client.get(reverse("admin:predictions_candidate_changelist"))
    assert response.status_code == 200
    assert b"Humanoid robots will work in warehouses" in response.content
    assert b"at 12:30 (91)" in response.content


@pytest.mark.django_db
def test_the_accept_page_is_prefilled_and_shows_the_passage(client, reviewer, candidate) -> None:
    client.force_login(reviewer)
    response = client.get(url("accept", candidate))
    assert response.status_code == 200
    assert response.context["form"].initial["speaker"] == candidate.speaker_id
    assert b"going to be working in warehouses" in response.content


@pytest.mark.django_db
def test_a_reviewer_accepts_with_edits_and_the_history_says_who_and_when(client, reviewer, candidate) -> None:
    client.force_login(reviewer)
    data = {**ACCEPT, "speaker": candidate.speaker_id, "attribution": Attribution.NAMED}
    response = client.post(url("accept", candidate), data)
    prediction = Prediction.objects.get()
    assert response.status_code == 302
    assert prediction.claim == ACCEPT["claim"]
    assert prediction.quote == candidate.text
    assert (prediction.speaker_id, prediction.source_timestamp) == (candidate.speaker_id, 750)
    assert prediction.attribution == Attribution.NAMED
    assert prediction.attribution_note == "Named in the summary (Predictions › Robots, line 12)."
    assert (prediction.status, prediction.stated_on, prediction.due_on) == (
        Status.OPEN,
        date(2026, 1, 31),
        date(2029, 12, 31),
    )
    assert prediction.key == "humanoid-robots-work-in-warehouses-by-the-end-of-2029"
    event = Event.objects.get(prediction=prediction)
    assert (event.kind, event.actor, event.from_status, event.to_status) == (
        EventKind.ACCEPTED,
        reviewer,
        Status.OPEN,
        Status.OPEN,
    )
    candidate.refresh_from_db()
    assert (candidate.status, candidate.prediction, candidate.decided_by) == (
        CandidateStatus.ACCEPTED,
        prediction,
        reviewer,
    )
    assert candidate.decided_at is not None


@pytest.mark.django_db
def test_a_speaker_without_an_attribution_is_a_form_error_and_nothing_is_written(
    client, reviewer, candidate
) -> None:
    client.force_login(reviewer)
    response = client.post(url("accept", candidate), {**ACCEPT, "speaker": candidate.speaker_id})
    assert response.status_code == 200
    assert b"Choose a speaker and how they are known" in response.content
    assert Prediction.objects.count() == 0 and Event.objects.count() == 0


@pytest.mark.django_db
def test_a_candidate_accepted_once_cannot_be_accepted_again(client, reviewer, candidate) -> None:
    client.force_login(reviewer)
    client.post(url("accept", candidate), ACCEPT)
    response = client.post(url("accept", candidate), ACCEPT)
    assert b"already accepted by alice" in response.content
    assert Prediction.objects.count() == 1


@pytest.mark.django_db
def test_a_second_claim_with_the_same_key_gets_its_own(client, reviewer, candidate, make_prediction) -> None:
    make_prediction(key="humanoid-robots-work-in-warehouses-by-the-end-of-2029")
    client.force_login(reviewer)
    client.post(url("accept", candidate), ACCEPT)
    assert Prediction.objects.filter(key="humanoid-robots-work-in-warehouses-by-the-end-of-2029-2").exists()


@pytest.mark.django_db
def test_a_reviewer_merges_into_an_existing_prediction_which_is_left_unchanged(
    client, reviewer, candidate, make_prediction
) -> None:
    existing = make_prediction(claim="Humanoids in warehouses by 2029.")
    client.force_login(reviewer)
    response = client.post(url("merge", candidate), {"prediction": existing.pk})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.status, candidate.prediction) == (CandidateStatus.MERGED, existing)
    existing.refresh_from_db()
    assert existing.claim == "Humanoids in warehouses by 2029." and existing.quote == ""
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_a_reviewer_rejects(client, reviewer, candidate) -> None:
    client.force_login(reviewer)
    assert client.post(url("reject", candidate)).status_code == 302
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by, candidate.prediction) == (
        CandidateStatus.REJECTED,
        reviewer,
        None,
    )


@pytest.mark.django_db
def test_the_bulk_action_rejects_the_selected_candidates(client, reviewer, candidate) -> None:
    client.force_login(reviewer)
    client.post(
        reverse("admin:predictions_candidate_changelist"),
        {"action": "reject_selected", "_selected_action": [candidate.pk]},
    )
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.REJECTED


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["accept", "merge", "reject"])
def test_staff_without_the_reviewer_permission_may_not_decide(client, staff, candidate, name) -> None:
    client.force_login(staff)
    assert client.get(url(name, candidate)).status_code == 403
    assert client.post(url(name, candidate), ACCEPT).status_code == 403
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.PROPOSED
    assert Prediction.objects.count() == 0


@pytest.mark.django_db
def test_staff_without_the_permission_see_no_decision_buttons(client, staff, reviewer, candidate) -> None:
    client.force_login(staff)
    page = client.get(url("change", candidate)).content
    assert "Accept…".encode() not in page
    client.force_login(reviewer)
    assert "Accept…".encode() in client.get(url("change", candidate)).content


@pytest.mark.django_db
def test_staff_without_the_permission_cannot_bulk_reject(client, staff, candidate) -> None:
    client.force_login(staff)
    client.post(
        reverse("admin:predictions_candidate_changelist"),
        {"action": "reject_selected", "_selected_action": [candidate.pk]},
    )
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.PROPOSED
