"""The record and the topic pages in a real Chromium, on the seed data after some outcomes
were recorded: filter the record by a topic, follow its link to the topic's page. The
pages' screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest

from predictions.decisions import Actor, resolve
from predictions.models import Outcome, Prediction, Status, Topic
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Seed keys (fixtures/state-of-ai-2026.yaml), both in the topic "open-models".
DECISIONS = {
    "more-open-weight-builders-2026": Outcome.HELD_UP,
    "open-weight-builders-from-china-2026": Outcome.DID_NOT_HOLD_UP,
}


def record_outcomes(reviewer) -> None:
    Prediction.objects.filter(key__in=DECISIONS).update(status=Status.DUE)  # as the scheduler flags
    for prediction in Prediction.objects.filter(key__in=DECISIONS):
        resolve(prediction, outcome=DECISIONS[prediction.key], note="Checked.", actor=Actor.of(reviewer))


def test_filter_the_record_by_a_topic_and_open_the_topics_page(page, seeded, reviewer) -> None:
    record_outcomes(reviewer)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/predictions/")
    assert page.locator("#record-rows > li").count() == 38  # every seed prediction, one page
    page.screenshot(path=str(ARTIFACTS / "record.png"), full_page=True)

    page.select_option("#topic-menu", "open-models")
    page.locator("#record-filters button[type=submit]").click()
    page.wait_for_url("**/predictions/?*topic=open-models*")
    in_topic = Prediction.objects.filter(topics__slug="open-models").count()
    assert in_topic == 5
    assert page.locator("#record-rows > li").count() == in_topic
    assert page.locator("#list-h").inner_text() == "5 predictions match"
    page.screenshot(path=str(ARTIFACTS / "record-open-models.png"), full_page=True)

    page.locator("#topic-page-link").click()
    page.wait_for_url("**/topics/open-models/")
    assert page.locator("h1").inner_text() == Topic.objects.get(slug="open-models").name
    assert page.locator('#totals [data-total="tracked"]').inner_text() == str(in_topic)
    # more-open-weight-builders-2026 held up, open-weight-builders-from-china-2026 did not.
    assert page.locator('#totals [data-total="held_up"]').inner_text() == "1"
    assert page.locator('#totals [data-total="did_not_hold_up"]').inner_text() == "1"
    assert page.locator("#by-speaker tbody tr").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "topic-open-models.png"), full_page=True)

    page.goto("/topics/")
    assert page.locator("#topics > li").count() == Topic.objects.count()
    page.screenshot(path=str(ARTIFACTS / "topics.png"), full_page=True)
    page.goto("/sources/lex-fridman-490/")
    assert page.locator('#totals [data-total="tracked"]').inner_text() == "38"
    page.screenshot(path=str(ARTIFACTS / "source-lex-fridman-490.png"), full_page=True)
