"""The scorecard's tabs in a real Chromium, on the seed data: plain links (no script needed)
from the first page to each long table's own page, the filters kept from tab to tab, the
current tab marked, and the first page a screen, not 4,700 px."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Tab label -> (its path, a table or section only that page has).
TABS = {
    "Every speaker": ("/scorecard/speakers/", "#by-speaker"),
    "By horizon": ("/scorecard/horizons/", "#by-speaker-horizon"),
    "Stances": ("/scorecard/stances/", "#stances-h"),
    "Coming due": ("/scorecard/coming-due/", "#coming-due"),
    "When due": ("/scorecard/timeline/", "#due-periods"),
    "Calibration": ("/scorecard/calibration/", "#probabilities"),
}


def test_the_tabs_lead_from_the_first_page_to_each_long_table(page, seeded, browser, live_server) -> None:
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto("/scorecard/?speaker=nathan-lambert")
    assert page.locator("#scorecard-tabs [aria-current=page]").inner_text() == "Who called it"
    assert page.locator("#by-speaker-horizon").count() == 0
    page.screenshot(path=str(ARTIFACTS / "scorecard-first-page.png"), full_page=True)
    for label, (path, own) in TABS.items():
        page.locator("#scorecard-tabs a", has_text=label).click()
        page.wait_for_url(f"**{path}?speaker=nathan-lambert")
        assert page.locator("#scorecard-tabs [aria-current=page]").inner_text() == label
        assert page.locator(own).count() == 1, label
        # The totals stay those of the filter: Nathan Lambert's 26 seed predictions.
        assert page.locator('#totals [data-total="tracked"]').inner_text() == "26", label
        page.screenshot(
            path=str(ARTIFACTS / f"scorecard-{path.strip('/').split('/')[-1]}.png"), full_page=True
        )

    # Without JavaScript the tabs are the same links.
    bare = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        plain = bare.new_page()
        plain.goto("/scorecard/")
        plain.locator("#scorecard-tabs a", has_text="By horizon").click()
        plain.wait_for_url("**/scorecard/horizons/")
        assert plain.locator("#by-speaker-horizon tbody tr").count() > 0
    finally:
        bare.close()
