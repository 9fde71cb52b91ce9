"""A speaker's page within one topic (`/speakers/<slug>/?topic=`): the stances, and the
figure of own predictions and stances together, are those on that topic's predictions, as
the own record is. Worked by hand below."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from predictions.models import Outcome, Speaker, Stance, Status, Topic

pytestmark = pytest.mark.django_db

H, D = Outcome.HELD_UP, Outcome.DID_NOT_HOLD_UP


@pytest.fixture
def two_topics(make_prediction, speaker: Speaker, grace: Speaker) -> None:
    """Ada's own outcomes and her stances on Grace's predictions, in two topics:

    compute: own H, H, D; agrees with a held-up (H for her), disputes a held-up (D).
    policy:  own D;       agrees with a failed one (D), disputes a failed one (H), agrees
             with a held-up (H).
    """
    compute = Topic.objects.create(slug="compute", name="Compute")
    policy = Topic.objects.create(slug="policy", name="Policy")

    def outcome(who: Speaker, result: str, topic: Topic):
        p = make_prediction(speaker=who, status=Status.RESOLVED, outcome=result)
        p.topics.add(topic)
        return p

    for result in (H, H, D):
        outcome(speaker, result, compute)
    outcome(speaker, D, policy)
    for result, kind, topic in (
        (H, "agrees", compute),
        (H, "disputes", compute),
        (D, "agrees", policy),
        (D, "disputes", policy),
        (H, "agrees", policy),
    ):
        Stance.objects.create(
            prediction=outcome(grace, result, topic), speaker=speaker, stance=kind, attribution="named"
        )


def figures(path: str) -> dict[str, str]:
    html = Client().get(path).content.decode()
    combined = re.search(r'<p class="overall" id="combined-overall">(.*?)</p>', html, re.S).group(1)
    note = re.search(r"agreed with (\d+) and disputed (\d+)", html)
    return {
        "own": re.search(r'<strong data-overall="value">([^<]*)</strong>', html).group(1),
        "stances": re.search(r'<strong data-stance="value">([^<]*)</strong>', html).group(1),
        "sides": f"{note.group(1)} agreed, {note.group(2)} disputed",
        "listed": str(len(re.findall(r'<li class="stance ', html))),
        "combined": re.sub(r"<[^>]+>|\s+", " ", combined).split(":", 1)[1].split(),
    }


@pytest.mark.usefixtures("two_topics")
def test_within_a_topic_the_stances_and_the_combined_figure_are_that_topics() -> None:
    # compute: own 2 of 3; stances 1 of 2; together 3 of 5 = 60%, Wilson 23.1%–88.2%.
    assert figures("/speakers/ada-lovelace/?topic=compute") == {
        "own": "67%",
        "stances": "50%",
        "sides": "1 agreed, 1 disputed",
        "listed": "2",
        "combined": ["60%", "95%", "interval", "23%–88%", "from", "5", "scored"],
    }
    # policy: own 0 of 1; stances 2 of 3; together 2 of 4 = 50%, Wilson 15.0%–85.0%.
    assert figures("/speakers/ada-lovelace/?topic=policy") == {
        "own": "0%",
        "stances": "67%",
        "sides": "2 agreed, 1 disputed",
        "listed": "3",
        "combined": ["50%", "95%", "interval", "15%–85%", "from", "4", "scored"],
    }


@pytest.mark.usefixtures("two_topics")
def test_without_a_topic_every_stance_counts() -> None:
    # own 2 of 4; stances 3 of 5; together 5 of 9 = 56%, Wilson 26.7%–81.1%.
    assert figures("/speakers/ada-lovelace/") == {
        "own": "50%",
        "stances": "60%",
        "sides": "3 agreed, 2 disputed",
        "listed": "5",
        "combined": ["56%", "95%", "interval", "27%–81%", "from", "9", "scored"],
    }


@pytest.mark.usefixtures("two_topics")
def test_a_topic_without_her_stances_says_so_within_it() -> None:
    Topic.objects.create(slug="chips", name="Chips")
    html = Client().get("/speakers/ada-lovelace/?topic=chips").content.decode()
    assert "Ada Lovelace took no side on anyone else's prediction in Chips." in html
    assert 'id="combined-overall"' not in html
