"""A reviewer finishes ingested candidates in a real Chromium at 1280 px: the list fits,
one candidate is accepted with edits (creating its proposed speaker), one rejected with a
reason, one merged into an existing prediction."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User

from predictions.models import Attribution, Candidate, CandidateStatus, Horizon, Prediction, Source
from predictions.models.candidate import PersonCandidate
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def candidate(source: Source, n: int, text: str, **fields: Any) -> Candidate:
    values = dict(
        source=source, fingerprint=str(n) * 64, section="Robots Leave the Lab › Amara's View", line=n,
        text=text, claim=text, horizon=Horizon.MEDIUM, horizon_as_said="before 2030",
        due_on=date(2029, 12, 31), source_timestamp=400 + n, passage=f"Amara Okafor: {text}",
        match_score=96.0, runner_up_score=71.0, runner_up_timestamp=900,
    )  # fmt: skip
    return Candidate.objects.create(**(values | fields))


def test_a_reviewer_accepts_with_edits_rejects_and_merges_from_the_list(page: Any, reviewer: User) -> None:
    source = Source.objects.create(
        title="Robots Leave the Lab, episode 31", slug="robots-31", url="https://example.org/31",
        published_on=date(2027, 3, 1),
    )  # fmt: skip
    amara = PersonCandidate.objects.create(
        source=source, name="Amara Okafor", description="robotics lead at Fieldworks", found="opening"
    )
    first = candidate(
        source, 1, "Humanoid robots will pick mixed orders in commercial warehouses before 2030",
        person=amara, attribution=Attribution.NAMED,
    )  # fmt: skip
    second = candidate(source, 2, "They will argue about grippers, warehouses and the home")
    third = candidate(source, 3, "Gripper costs will fall by half within five years")
    existing = Prediction.objects.create(
        source=source, key="gripper-costs-halve", claim="Gripper costs halve by 2032.", horizon=Horizon.MEDIUM,
        stated_on=date(2027, 3, 1), due_on=date(2032, 3, 1), resolution_criteria="Price lists show it.",
    )  # fmt: skip

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/admin/login/?next=/admin/predictions/candidate/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 3
    assert "Amara Okafor (new; Named in the source's text)" in page.inner_text("#result_list")
    # The list fits 1280 px: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(ARTIFACTS / "admin-candidates-list.png"), full_page=True)

    # Accept, editing the claim, and creating the proposed speaker.
    page.click(f"#result_list a[href$='/{first.pk}/change/']")
    page.click("text=Accept…")
    page.wait_for_selector("#id_claim")
    assert page.is_checked("#id_create_speaker")
    assert page.locator("link[href$='admin/css/forms.css']").count() == 1  # styled as the admin
    page.fill("#id_claim", "Humanoid robots pick mixed orders in a commercial warehouse by the end of 2029.")
    page.fill("#id_resolution_criteria", "An operator reports humanoids picking mixed orders in routine use.")
    page.screenshot(path=str(ARTIFACTS / "admin-candidate-accept.png"), full_page=True)
    page.click("input[type=submit][value='Accept']")
    page.wait_for_selector(".messagelist .success")
    accepted = Prediction.objects.get(candidates=first)
    assert accepted.claim.startswith("Humanoid robots pick mixed orders in a commercial warehouse")
    assert (accepted.speaker.name, accepted.attribution) == ("Amara Okafor", Attribution.NAMED)

    # Reject with a reason, shown on the candidate afterwards.
    page.goto(f"/admin/predictions/candidate/{second.pk}/change/")
    page.click("text=Reject…")
    page.fill("#id_reason", "The introduction, not a claim.")
    page.click("input[type=submit][value='Reject']")
    page.wait_for_selector(".messagelist .success")
    assert "The introduction, not a claim." in page.inner_text("#content")

    # Merge into the existing prediction.
    page.goto(f"/admin/predictions/candidate/{third.pk}/change/")
    page.click("text=Merge into a prediction…")
    page.select_option("#id_prediction", str(existing.pk))
    page.click("input[type=submit][value='Merge']")
    page.wait_for_selector(".messagelist .success")

    statuses = dict(Candidate.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: CandidateStatus.ACCEPTED,
        second.pk: CandidateStatus.REJECTED,
        third.pk: CandidateStatus.MERGED,
    }
    assert Candidate.objects.get(pk=third.pk).prediction == existing
