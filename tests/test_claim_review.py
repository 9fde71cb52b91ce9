"""A resolved prediction as schema.org ClaimReview JSON-LD (predictions/claimreview.py), on
its page and in the API, the same document both places."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from django.test import Client

from predictions.actors import Actor
from predictions.decisions import reopen, resolve
from predictions.models import Attribution, Outcome, SourceKind, UnresolvableReason
from predictions.tasks import flag_due

pytestmark = pytest.mark.django_db

DECIDED = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def json_ld(client: Client, path: str) -> list[dict]:
    return [json.loads(block) for block in LD.findall(client.get(path).content.decode())]


@pytest.fixture
def decide(reviewer):
    actor = Actor.of(reviewer)

    def decide(prediction, outcome, note="Reported by the lab.", **extra):
        flag_due(as_of=date(2027, 1, 1))
        prediction.refresh_from_db()
        resolve(prediction, outcome=outcome, note=note, actor=actor, at=DECIDED, **extra)
        prediction.refresh_from_db()
        return prediction

    return decide


def test_a_held_up_prediction_is_a_claim_review_with_its_speaker_moment_and_rating(
    client, make_prediction, speaker, decide, settings
):
    settings.SITE_ROOT = "https://tracker.example"
    p = make_prediction(speaker=speaker, source_timestamp=3335, attribution=Attribution.INFERRED)
    p.source.url = "https://www.youtube.com/watch?v=abc"
    p.source.save()
    decide(p, Outcome.HELD_UP)

    [review] = json_ld(client, p.get_absolute_url())
    assert review["@type"] == "ClaimReview"
    assert review["url"] == f"https://tracker.example/predictions/{p.pk}/"
    assert review["claimReviewed"] == p.claim
    assert review["datePublished"] == "2027-01-15"
    assert review["reviewBody"] == "Reported by the lab."
    assert review["reviewRating"] == {
        "@type": "Rating", "ratingValue": 3, "worstRating": 1, "bestRating": 3, "alternateName": "Held up",
    }  # fmt: skip
    claim = review["itemReviewed"]
    assert claim["author"] == {
        "@type": "Person", "name": "Ada Lovelace", "url": "https://tracker.example/speakers/ada-lovelace/",
    }  # fmt: skip
    assert claim["creditText"] == "Inferred from an unlabelled transcript"
    assert claim["firstAppearance"] == {
        "@type": "Clip",
        "startOffset": 3335,
        "url": "https://www.youtube.com/watch?v=abc&t=3335s",
        "isPartOf": {
            "@type": "PodcastEpisode",
            "name": "Test podcast",
            "url": "https://www.youtube.com/watch?v=abc",
            "datePublished": "2026-01-31",
        },
    }
    # Never the reviewer: the site reviews.
    assert review["author"]["@type"] == "Organization"
    assert "alice" not in json.dumps(review)
    # The API's detail carries the same document.
    api = client.get(f"/api/predictions/{p.pk}").json()
    assert api["claim_review"] == review


@pytest.mark.parametrize(
    ("outcome", "value"), [(Outcome.DID_NOT_HOLD_UP, 1), (Outcome.PARTIALLY, 2), (Outcome.HELD_UP, 3)]
)
def test_the_rating_scale(client, make_prediction, decide, outcome, value):
    p = decide(make_prediction(), outcome)
    [review] = json_ld(client, p.get_absolute_url())
    assert review["reviewRating"]["ratingValue"] == value


def test_unresolvable_has_no_rating_value_and_nobody_named_has_no_author(client, make_prediction, decide):
    p = make_prediction()
    p.source.kind = SourceKind.ARTICLE
    p.source.save()
    decide(p, Outcome.UNRESOLVABLE, reason=UnresolvableReason.TOO_VAGUE)
    [review] = json_ld(client, p.get_absolute_url())
    assert "ratingValue" not in review["reviewRating"]
    assert review["reviewRating"]["alternateName"] == "Unresolvable: Too vague to judge"
    assert "author" not in review["itemReviewed"]
    assert "creditText" not in review["itemReviewed"]
    # An article, and no moment: the work itself, no clip.
    assert review["itemReviewed"]["firstAppearance"] == {
        "@type": "CreativeWork", "name": "Test podcast", "url": "https://example.org/p", "datePublished": "2026-01-31",
    }  # fmt: skip


def test_open_and_reopened_predictions_have_none(client, make_prediction, decide, reviewer):
    p = make_prediction()
    assert json_ld(client, p.get_absolute_url()) == []
    assert client.get(f"/api/predictions/{p.pk}").json()["claim_review"] is None
    decide(p, Outcome.HELD_UP)
    reopen(p, note="The source was retracted.", actor=Actor.of(reviewer))
    assert json_ld(client, p.get_absolute_url()) == []


def test_a_stored_claim_cannot_close_the_script(client, make_prediction, decide):
    p = decide(make_prediction(claim="Done </script><script>alert(1)</script> <!--"), Outcome.HELD_UP)
    html = client.get(p.get_absolute_url()).content.decode()
    [review] = json_ld(client, p.get_absolute_url())
    assert review["claimReviewed"] == p.claim
    assert "<script>alert(1)" not in html


def test_a_re_resolution_is_dated_by_the_row_that_gave_the_outcome(client, make_prediction, decide, reviewer):
    p = decide(make_prediction(), Outcome.HELD_UP)
    later = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    resolve(p, outcome=Outcome.PARTIALLY, note="Only one of two.", actor=Actor.of(reviewer), at=later)
    [review] = json_ld(client, p.get_absolute_url())
    assert (review["datePublished"], review["reviewBody"]) == ("2027-02-01", "Only one of two.")
    assert review["reviewRating"]["ratingValue"] == 2


def test_a_later_edit_of_a_resolved_prediction_is_not_the_review(client, make_prediction, speaker, decide):
    # An import that changes a resolved prediction's details writes an "edited" row, which
    # also stands at resolved: the review is still the decision's, its note and its day.
    from predictions.models import Event, EventKind, Status
    from predictions.transitions import Step, history_row

    p = decide(make_prediction(speaker=speaker), Outcome.HELD_UP)
    edit = history_row(
        p.pk,
        from_status=Status.RESOLVED,
        from_outcome=p.outcome,
        step=Step(EventKind.EDITED, datetime(2027, 3, 1, tzinfo=UTC)),
        actor_id=None,
        actor_name="import",
        note="Claim wording corrected.",
    )
    edit.save()
    assert Event.objects.filter(prediction=p, kind=EventKind.EDITED).count() == 1

    [review] = json_ld(client, p.get_absolute_url())
    assert review["reviewBody"] == "Reported by the lab."
    assert review["datePublished"] == "2027-01-15"
