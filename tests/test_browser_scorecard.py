"""The scorecard in a real Chromium, on the seed data after some outcomes were recorded."""

from __future__ import annotations

import pytest

from predictions.decisions import Actor, resolve
from predictions.models import Outcome, Prediction, Status, UnresolvableReason
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Seed keys (fixtures/state-of-ai-2026.yaml) and the outcome recorded for each.
DECISIONS = {
    "bigger-compute-clusters-2026": (Outcome.HELD_UP, ""),
    "more-open-weight-builders-2026": (Outcome.HELD_UP, ""),
    "two-thousand-dollar-subscription-2026": (Outcome.PARTIALLY, ""),
    "open-weight-builders-from-china-2026": (Outcome.DID_NOT_HOLD_UP, ""),
}


def record_outcomes(reviewer) -> None:
    actor = Actor.of(reviewer)
    near = list(Prediction.objects.filter(horizon="near").order_by("key"))
    by_key = {p.key: p for p in Prediction.objects.all()}
    chosen = [by_key[key] for key in DECISIONS]
    lambert = Prediction.objects.get(key="no-discrete-superhuman-coder-moment")
    unresolvable = next(p for p in near if p.key not in DECISIONS)
    waiting = [p for p in near if p.key not in DECISIONS and p != unresolvable][:2]
    # resolve() acts on predictions the scheduler flagged: put them in the review queue first.
    flagged = [*chosen, lambert, unresolvable, *waiting]
    Prediction.objects.filter(pk__in=[p.pk for p in flagged]).update(status=Status.DUE)
    for p in chosen:
        p.refresh_from_db()
        resolve(p, outcome=DECISIONS[p.key][0], note="Checked against the public record.", actor=actor)
    lambert.refresh_from_db()
    resolve(
        lambert, outcome=Outcome.HELD_UP, note="Checked.", actor=actor, evidence=["https://example.org/a"]
    )
    unresolvable.refresh_from_db()
    resolve(
        unresolvable,
        outcome=Outcome.UNRESOLVABLE,
        reason=UnresolvableReason.TOO_VAGUE,
        note="No measurable threshold.",
        actor=actor,
    )


def test_the_scorecard_shows_the_recorded_outcomes(page, seeded, reviewer) -> None:
    record_outcomes(reviewer)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto("/scorecard/")

    # 38 seed predictions: 6 resolved (3 held up, 1 partially, 1 did not, 1 unresolvable),
    # 2 waiting for review, 30 still open.
    totals = {
        name: page.locator(f'#totals [data-total="{name}"]').inner_text()
        for name in (
            "tracked",
            "resolved",
            "held_up",
            "partially",
            "did_not_hold_up",
            "unresolvable",
            "open",
            "due",
        )
    }
    assert totals == {
        "tracked": "38",
        "resolved": "6",
        "held_up": "3",
        "partially": "1",
        "did_not_hold_up": "1",
        "unresolvable": "1",
        "open": "30",
        "due": "2",
    }
    # Overall: (3 + 0.5 x 1) / 5 = 0.7; Wilson with n = 5, p = 0.7, z² = 3.8415:
    # centre = (0.7 + 0.38415) / 1.76829 = 0.61310, half = 1.10840 x sqrt(0.042 + 0.038415) = 0.31431
    # -> 0.2988 .. 0.9274 -> "30%–93%".
    assert page.locator('[data-overall="value"]').inner_text() == "70%"
    assert page.locator('[data-overall="interval"]').inner_text() == "30%–93%"
    assert page.locator('[data-overall="n"]').inner_text() == "5"

    rows = page.locator("#by-speaker tbody tr")
    assert rows.count() == 3
    # Every decision above is on a prediction Nathan Lambert made (the seed attributes them
    # from the transcript): 3 held up, 1 partially, 1 did not, 1 unresolvable, 20 pending of
    # his 26. (3 + 0.5) / 5 = 70%, Wilson 30%–93% as worked above. Sebastian Raschka (9, none
    # scored) next; the panel row comes last and is never merged into a person's.
    lambert = rows.nth(0).locator("td")
    assert rows.nth(0).locator("th a").inner_text() == "Nathan Lambert"
    # Most of his predictions were attributed from the unlabelled transcript: marked, with a legend.
    assert rows.nth(0).locator("th .inferred").inner_text() == "†"
    assert page.locator("#inferred-legend").is_visible()
    assert [lambert.nth(i).inner_text() for i in range(9)] == [
        "26",
        "3",
        "1",
        "1",
        "1",
        "20",
        "70%",
        "30%–93%",
        "5",
    ]
    assert rows.nth(1).locator("th a").inner_text() == "Sebastian Raschka"
    assert rows.nth(1).locator("td").nth(0).inner_text() == "9"
    panel = rows.nth(2).locator("td")
    assert rows.nth(2).locator("th").inner_text() == "Unattributed (panel)"
    assert [panel.nth(i).inner_text() for i in range(6)] == ["3", "0", "0", "0", "0", "3"]

    assert page.locator("#speaker-chart-title").text_content() == "Accuracy by speaker, with 95% intervals"
    page.screenshot(path=str(ARTIFACTS / "scorecard.png"), full_page=True)

    # Calibration is a page of its own, a plain link among the scorecard's tabs.
    page.locator("#scorecard-tabs a", has_text="Calibration").click()
    page.wait_for_url("**/scorecard/calibration/")
    assert page.locator("#probabilities").get_by_text("No probabilities given").count() == 1
    page.go_back()

    # From the scorecard to the prediction: its history names the role, never the reviewer.
    page.locator("#recently-resolved a", has_text="superhuman coder").click()
    page.wait_for_url("**/predictions/*/")
    assert page.locator(".prediction .status .badge").inner_text() == "Held up"
    # Who said it, at which second of the video (3:03:38 = 11018 s), in his own words.
    assert page.locator("#said").inner_text() == "Said by Nathan Lambert at 3:03:38"
    assert page.locator("#moment-link").get_attribute("href").endswith("&t=11018s")
    assert page.locator("#excerpt").inner_text().startswith("I think it's assigning completeness")
    assert page.locator("#history .actor").all_inner_texts() == ["Reviewer"]
    assert page.locator("#history .evidence a").get_attribute("href") == "https://example.org/a"
    assert "alice" not in page.content()
