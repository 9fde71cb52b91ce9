"""A resolved prediction as schema.org `ClaimReview` JSON-LD, the form fact-checkers publish
so that search engines and other tools read an outcome without scraping the page. The
prediction page carries it in a `<script type="application/ld+json">` and the API's
prediction detail as `claim_review`: one builder for both.

What it says:
- `claimReviewed`: the claim; `itemReviewed`: a `Claim` whose `author` is the speaker (a
  `Person`, with their page) and whose `creditText` says how the speaker is known, as the
  page does ("Inferred from an unlabelled transcript", ...). A prediction nobody could be
  named for has no `author`: a wrong name is worse than none.
- `firstAppearance`: where it was said, the source (a `PodcastEpisode` for a podcast, else
  a `CreativeWork`); with a moment, a `Clip` of it with `startOffset` in seconds and the
  recording's URL at that second.
- `reviewRating`: the outcome on the scale below; `datePublished`: when the deciding
  history row was written; `reviewBody`: its note; `author`: the site, never a reviewer.

The rating scale (`RATING`, worst 1, best 3): did not hold up 1, partially held up 2, held
up 3. "Unresolvable" is not on the scale: it is a `Rating` with its `alternateName` and no
`ratingValue` (nothing was rated). An open, due or deferred prediction has no ClaimReview.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .links import safe_href, speaker_url, timestamped_url
from .models import Attribution, Event, EventKind, Outcome, Prediction, SourceKind, Status

# The kinds of history row that put an outcome on a prediction.
OUTCOME_DECIDED = frozenset({EventKind.RESOLVED, EventKind.RERESOLVED})

RATING = {Outcome.DID_NOT_HOLD_UP: 1, Outcome.PARTIALLY: 2, Outcome.HELD_UP: 3}
WORST, BEST = min(RATING.values()), max(RATING.values())
SITE_NAME = "Prediction tracker"


def deciding_event(history: list[Event]) -> Event | None:
    """The history row that gave the current outcome: the last outcome decision into
    `resolved` (a later row that only records an edit or an attribution stays resolved
    too, and decided nothing)."""
    return next(
        (e for e in reversed(history) if e.to_status == Status.RESOLVED and e.kind in OUTCOME_DECIDED),
        None,
    )


def claim_review(prediction: Prediction, history: list[Event]) -> dict[str, Any] | None:
    """The ClaimReview of a resolved prediction; None for one not resolved. `history` is the
    prediction's rows oldest first, as its page and the API load them; `speaker` and
    `source` are selected with the prediction."""
    decision = deciding_event(history) if prediction.status == Status.RESOLVED else None
    if decision is None:
        return None
    root = settings.SITE_ROOT
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": root + prediction.get_absolute_url(),
        "claimReviewed": prediction.claim,
        "itemReviewed": claim(prediction),
        "reviewRating": rating(prediction),
        "datePublished": decision.at.date().isoformat(),
        "reviewBody": decision.note,
        "author": {"@type": "Organization", "name": SITE_NAME, "url": root + "/"},
    }


def claim(prediction: Prediction) -> dict[str, Any]:
    said: dict[str, Any] = {"@type": "Claim", "name": prediction.claim}
    if prediction.speaker_id:
        said["author"] = {
            "@type": "Person",
            "name": prediction.speaker.name,
            "url": settings.SITE_ROOT + speaker_url(prediction.speaker.slug),
        }
        said["creditText"] = Attribution(prediction.attribution).label
    if prediction.stated_on:
        said["datePublished"] = prediction.stated_on.isoformat()
    said["firstAppearance"] = appearance(prediction)
    return said


def appearance(prediction: Prediction) -> dict[str, Any]:
    source = prediction.source
    work: dict[str, Any] = {
        "@type": "PodcastEpisode" if source.kind == SourceKind.PODCAST else "CreativeWork",
        "name": source.title,
    }
    url = safe_href(source.url)
    if url:
        work["url"] = url
    if source.published_on:
        work["datePublished"] = source.published_on.isoformat()
    if prediction.source_timestamp is None:
        return work
    clip: dict[str, Any] = {"@type": "Clip", "startOffset": prediction.source_timestamp, "isPartOf": work}
    if url:
        clip["url"] = timestamped_url(url, prediction.source_timestamp)
    return clip


def rating(prediction: Prediction) -> dict[str, Any]:
    outcome = Outcome(prediction.outcome)
    scale: dict[str, Any] = {"@type": "Rating", "worstRating": WORST, "bestRating": BEST}
    if outcome in RATING:
        return {**scale, "ratingValue": RATING[outcome], "alternateName": outcome.label}
    reason = prediction.get_unresolvable_reason_display()
    return {**scale, "alternateName": f"{outcome.label}: {reason}" if reason else outcome.label}
