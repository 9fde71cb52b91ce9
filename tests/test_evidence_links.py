"""Only http(s) evidence is ever a link: on the public page, in the admin's history, and
the import refuses any other scheme, naming the row."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from predictions.links import link_or_text, safe_href
from predictions.models import Event, EventKind, Prediction, Source, Status
from tests.support import failing_import, write_jsonl

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "data:text/html,<b>x</b>",
    " vbscript:x",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_only_http_and_https_may_be_an_href(url: str) -> None:
    assert safe_href(url) == ""
    assert "<a" not in link_or_text(url)
    assert safe_href("https://example.org/a") == "https://example.org/a"
    assert safe_href("HTTP://example.org/a") == "HTTP://example.org/a"


@pytest.fixture
def hostile_history(make_prediction: Callable[..., Prediction], reviewer: User) -> Prediction:
    prediction = make_prediction()
    Event.objects.create(
        prediction=prediction,
        kind=EventKind.FLAGGED,
        at=timezone.now(),
        actor_name="scheduler",
        from_status=Status.OPEN,
        to_status=Status.DUE,
        note="imported from elsewhere",
        evidence=["javascript:alert(document.cookie)", "https://example.org/fine"],
    )
    return prediction


def test_the_admin_history_shows_a_javascript_link_as_text(
    client: Client, reviewer: User, hostile_history: Prediction
) -> None:
    client.force_login(reviewer)
    page = client.get(f"/admin/predictions/prediction/{hostile_history.pk}/change/").content.decode()
    assert 'href="javascript:' not in page
    assert "javascript:alert(document.cookie)" in page  # still shown, as text
    assert '<a href="https://example.org/fine" rel="noopener noreferrer" target="_blank">' in page


def test_the_public_page_shows_a_javascript_link_as_text(client: Client, hostile_history: Prediction) -> None:
    page = client.get(f"/predictions/{hostile_history.pk}/").content.decode()
    assert 'href="javascript:' not in page
    assert 'href="https://example.org/fine"' in page


@pytest.mark.parametrize("url", HOSTILE[:3])
def test_the_import_refuses_evidence_that_is_not_http_naming_the_row(exported, tmp_path, url: str) -> None:  # noqa: F811
    row = next(i for i, r in enumerate(exported) if r["evidence"])
    exported[row]["evidence"] = ["https://example.org/ok", url]
    err = failing_import(write_jsonl(tmp_path, exported))
    key = exported[row]["key"]
    assert f'row {row + 1} (key "{key}"): evidence.1: evidence must be an http(s) URL' in err
    assert (Prediction.objects.count(), Event.objects.count(), Source.objects.count()) == (0, 0, 0)
