"""Finishing candidates (issue 19): accepting a claim credited to a person the document
proposed creates the speaker in the same transaction; a reject reason is kept and shown;
bulk accept takes the reviewed rows as proposed; ingest stores the proposed people."""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from predictions.models import Attribution, Candidate, CandidateStatus, Horizon, Prediction, Speaker
from predictions.models.candidate import PersonCandidate

pytestmark = pytest.mark.django_db
EPISODES = Path(__file__).resolve().parent / "data" / "ingest"


@pytest.fixture
def proposed(source) -> Candidate:
    person = PersonCandidate.objects.create(
        source=source, name="Amara Okafor", description="robotics lead at Fieldworks", found="opening", line=3
    )
    return Candidate.objects.create(
        source=source, fingerprint="a" * 64, section="Amara's View", line=9,
        text="Humanoid robots will pick mixed orders before 2030",
        claim="Humanoid robots will pick mixed orders before 2030",
        horizon=Horizon.MEDIUM, horizon_as_said="before 2030", due_on=date(2029, 12, 31),
        person=person, attribution=Attribution.NAMED,
    )  # fmt: skip


def url(name: str, candidate: Candidate) -> str:
    return reverse(f"admin:predictions_candidate_{name}", args=[candidate.pk])


ACCEPT = {
    "claim": "Humanoid robots pick mixed orders in a commercial warehouse by the end of 2029.",
    "speaker": "",
    "create_speaker": "on",
    "attribution": Attribution.NAMED,
    "horizon": Horizon.MEDIUM,
    "horizon_as_said": "before 2030",
    "due_on": "2029-12-31",
    "resolution_criteria": "An operator reports humanoids picking mixed orders in routine use.",
}


def test_ingesting_stores_the_documents_people_and_credits_claims_to_them(tmp_path: Path) -> None:
    call_command(
        "ingest_summary", str(EPISODES / "robots-lab.md"), "--published", "2027-03-01",
        "--transcript", str(EPISODES / "robots-lab.vtt"), stdout=StringIO(),
    )  # fmt: skip
    amara = PersonCandidate.objects.get(name="Amara Okafor")
    assert (amara.description, amara.found, amara.speaker) == (
        "robotics lead at Fieldworks, a warehouse automation company",
        "opening",
        None,
    )
    humanoid = Candidate.objects.get(text__startswith="Humanoid")
    assert (humanoid.person, humanoid.speaker, humanoid.attribution) == (amara, None, Attribution.NAMED)
    assert humanoid.source_timestamp == 400 and humanoid.runner_up_score is not None
    assert Speaker.objects.count() == 0  # nobody is created until a reviewer accepts


def test_the_accept_page_offers_to_create_the_proposed_speaker(client, reviewer, proposed) -> None:
    client.force_login(reviewer)
    response = client.get(url("accept", proposed))
    assert response.context["form"].initial["create_speaker"] is True
    assert "Create the speaker “Amara Okafor”" in response.content.decode()


def test_accepting_creates_the_speaker_with_the_prediction(client, reviewer, proposed) -> None:
    client.force_login(reviewer)
    assert client.post(url("accept", proposed), ACCEPT).status_code == 302
    speaker = Speaker.objects.get()
    assert (speaker.name, speaker.slug, speaker.bio) == (
        "Amara Okafor",
        "amara-okafor",
        "robotics lead at Fieldworks",
    )
    prediction = Prediction.objects.get()
    assert (prediction.speaker, prediction.attribution) == (speaker, Attribution.NAMED)
    assert prediction.attribution_note == "Named in the summary (Amara's View, line 9)."
    assert PersonCandidate.objects.get().speaker == speaker


def test_a_refused_accept_creates_no_speaker(client, reviewer, proposed) -> None:
    client.force_login(reviewer)
    response = client.post(url("accept", proposed), {**ACCEPT, "due_on": "2020-01-01"})
    assert response.status_code == 200 and "cannot be before" in response.content.decode()
    assert (Speaker.objects.count(), Prediction.objects.count()) == (0, 0)


def test_choosing_a_stored_speaker_creates_nobody(client, reviewer, proposed, speaker) -> None:
    client.force_login(reviewer)
    client.post(url("accept", proposed), {**ACCEPT, "speaker": speaker.pk})
    assert list(Speaker.objects.all()) == [speaker]
    assert Prediction.objects.get().speaker == speaker


def test_a_reject_reason_is_kept_and_shown(client, reviewer, proposed) -> None:
    client.force_login(reviewer)
    client.post(url("reject", proposed), {"reason": "An introduction, not a claim."})
    proposed.refresh_from_db()
    assert (proposed.status, proposed.reject_reason) == (
        CandidateStatus.REJECTED,
        "An introduction, not a claim.",
    )
    page = client.get(reverse("admin:predictions_candidate_change", args=[proposed.pk])).content.decode()
    assert "An introduction, not a claim." in page


def test_bulk_accept_asks_once_then_accepts_each_as_proposed(client, reviewer, proposed, source) -> None:
    other = Candidate.objects.create(
        source=source, fingerprint="b" * 64, text="Soft grippers will be cheap by 2031",
        claim="Soft grippers will be cheap by 2031", horizon=Horizon.MEDIUM, due_on=date(2031, 12, 31),
    )  # fmt: skip
    client.force_login(reviewer)
    changelist = reverse("admin:predictions_candidate_changelist")
    selected = {"action": "accept_selected", "_selected_action": [proposed.pk, other.pk]}
    confirm = client.post(changelist, selected)
    assert confirm.status_code == 200 and "Accept 2 candidates" in confirm.content.decode()
    assert Prediction.objects.count() == 0
    done = client.post(changelist, {**selected, "confirm": "yes", "resolution_criteria": "Holds as stated."})
    assert done.status_code == 302
    assert Prediction.objects.count() == 2
    assert Prediction.objects.get(claim__startswith="Humanoid").speaker.name == "Amara Okafor"
    assert Prediction.objects.get(claim__startswith="Soft").speaker is None


def test_staff_without_the_permission_cannot_bulk_accept(client, staff, proposed) -> None:
    client.force_login(staff)
    client.post(
        reverse("admin:predictions_candidate_changelist"),
        {"action": "accept_selected", "_selected_action": [proposed.pk], "confirm": "yes",
         "resolution_criteria": "x"},
    )  # fmt: skip
    assert Prediction.objects.count() == 0


def test_staff_may_read_the_proposed_people(client, staff, proposed) -> None:
    client.force_login(staff)
    response = client.get(reverse("admin:predictions_personcandidate_changelist"))
    assert response.status_code == 200
    assert "robotics lead at Fieldworks" in response.content.decode()


def test_a_labelled_srt_credits_the_title_only_guest_with_attribution_transcript() -> None:
    call_command(
        "ingest_summary", str(EPISODES / "fusion-duarte.md"), "--published", "2027-03-01",
        "--transcript", str(EPISODES / "fusion-duarte.srt"), stdout=StringIO(),
    )  # fmt: skip
    ines = PersonCandidate.objects.get()
    assert (ines.name, ines.found) == ("Ines Duarte", "title")
    plant = Candidate.objects.get(text__startswith="The first fusion plant")
    assert (plant.person, plant.attribution, plant.source_timestamp) == (ines, Attribution.TRANSCRIPT, 252)
    assert "Ines Duarte: The first fusion plant" in plant.passage


def test_a_later_transcript_run_credits_the_labelled_person_on_proposed_candidates() -> None:
    args = [str(EPISODES / "fusion-duarte.md"), "--published", "2027-03-01"]
    call_command("ingest_summary", *args, stdout=StringIO())
    assert not Candidate.objects.exclude(attribution=Attribution.UNATTRIBUTED).exists()
    call_command(
        "ingest_summary", *args, "--transcript", str(EPISODES / "fusion-duarte.srt"), stdout=StringIO()
    )
    assert (
        Candidate.objects.filter(attribution=Attribution.TRANSCRIPT, person__name="Ines Duarte").count() == 3
    )
