"""A speaker's predictions page by cursor (issue 23): `?after=` / `?before=` on (due_on, id),
so a deep page costs what the first does; old `?page=N` links lead to the same rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from predictions import keyset
from predictions.models import Prediction, Speaker

pytestmark = pytest.mark.django_db

URL = "/speakers/ada-lovelace/"


@pytest.fixture(autouse=True)
def small_pages(monkeypatch) -> None:
    monkeypatch.setattr("predictions.views.PAGE_SIZE", 3)


@pytest.fixture
def theirs(make_prediction, speaker: Speaker) -> list[Prediction]:
    """Eleven of Ada's, two a day, made out of date order; and one of the panel's."""
    made = [
        make_prediction(
            claim=f"Claim {i}", speaker=speaker, due_on=date(2027, 1, 1) + timedelta(days=(10 - i) // 2)
        )
        for i in range(11)
    ]
    make_prediction(claim="The panel's")
    return sorted(made, key=lambda p: (p.due_on, p.pk))


def shown(response) -> list[int]:
    assert response.status_code == 200
    return [p.pk for p in response.context["page"].object_list]


def test_following_later_links_shows_every_prediction_once_in_order(theirs: list[Prediction]) -> None:
    client, seen, pages = Client(), [], []
    response = client.get(URL)
    while True:
        pages.append(shown(response))
        seen += pages[-1]
        cursor = response.context["page"].next
        if cursor is None:
            break
        assert f'href="?after={cursor}"' in response.content.decode()
        response = client.get(URL, {"after": cursor})
    assert seen == [p.pk for p in theirs]
    assert [len(p) for p in pages] == [3, 3, 3, 2]
    # And back again by the earlier links, the same pages.
    back = []
    while (cursor := response.context["page"].previous) is not None:
        response = client.get(URL, {"before": cursor})
        back.append(shown(response))
    assert back == pages[-2::-1]
    assert response.context["page"].previous is None


def test_a_deep_page_makes_as_many_queries_as_the_first(theirs: list[Prediction]) -> None:
    client = Client()
    with CaptureQueriesContext(connection) as first:
        client.get(URL)
    deep = keyset.encode(keyset.key_of(theirs[5]))
    with CaptureQueriesContext(connection) as later:
        assert shown(client.get(URL, {"after": deep})) == [p.pk for p in theirs[6:9]]
    # One more: whether anything lies before the page (the first page knows it does not).
    assert len(later) <= len(first) + 1


def test_an_old_numbered_link_leads_to_the_same_rows(theirs: list[Prediction]) -> None:
    client = Client()
    response = client.get(URL, {"page": "3", "stances_page": "1"})
    assert response.status_code == 302
    assert shown(client.get(response["Location"])) == [p.pk for p in theirs[6:9]]
    assert "stances_page=1" in response["Location"]
    past_the_end = client.get(URL, {"page": "999"}, follow=True)
    assert shown(past_the_end) == [p.pk for p in theirs[-3:]]  # the last three
    assert client.get(URL, {"page": "1"})["Location"] == URL
    assert client.get(URL, {"page": "x"})["Location"] == URL


def test_a_cursor_the_site_did_not_give_is_a_400_naming_it(theirs: list[Prediction]) -> None:
    response = Client().get(URL, {"after": "not-a-cursor"})
    assert response.status_code == 400
    assert response.content.startswith(b"after: ")


def test_the_page_counts_all_of_the_speakers_predictions(theirs: list[Prediction]) -> None:
    assert "Predictions (11)" in Client().get(URL).content.decode()
