"""The scorecard's numbers: per speaker, per speaker × horizon and per horizon, with n,
accuracy and the 95% Wilson interval. Read from `predictions/scorecard.py`, the same tallies
the public page shows, and ordered as the page orders them."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from ..links import speaker_url
from ..models import UNATTRIBUTED, UNATTRIBUTED_LABEL
from ..scorecard import partial_credit, ranked_speakers
from ..scoring import Accuracy, Tally, total
from .predictions import ERRORS, PredictionFilters, shared_filters
from .schemas import ScorecardOut

router = Router(tags=["scorecard"])


class ScorecardFilters(Schema):
    speaker: str | None = Field(
        default=None, description=f"A speaker's slug, or \"{UNATTRIBUTED}\" for the panel's predictions."
    )
    source: str | None = Field(default=None, description="A source's slug.")
    topic: str | None = Field(default=None, description="A topic's slug: who called it within the topic.")


def tally_out(tally: Tally) -> dict:
    return {
        "tracked": tally.tracked,
        "held_up": tally.held_up,
        "partially": tally.partially,
        "did_not_hold_up": tally.did_not_hold_up,
        "unresolvable": tally.unresolvable,
        "open": tally.open,
        "due": tally.due,
    }


def accuracy_out(accuracy: Accuracy | None) -> dict | None:
    if accuracy is None:
        return None
    return {
        "value": accuracy.value,
        "low": accuracy.low,
        "high": accuracy.high,
        "n": accuracy.n,
        "credited": accuracy.credited,
    }


def line(horizon: str, tally: Tally, credit: float) -> dict:
    return {"horizon": horizon, "tally": tally_out(tally), "accuracy": accuracy_out(tally.accuracy(credit))}


@router.get("/scorecard", response={200: ScorecardOut, **ERRORS}, summary="The scorecard's numbers")
def scorecard(request: HttpRequest, filters: Query[ScorecardFilters]) -> dict:
    chosen = shared_filters(
        PredictionFilters(speaker=filters.speaker, source=filters.source, topic=filters.topic)
    )
    credit = partial_credit()
    groups, by_horizon = ranked_speakers(chosen, credit)
    speakers = [
        {
            "speaker": group.slug,
            "name": group.name or UNATTRIBUTED_LABEL,
            "page": speaker_url(group.slug),
            "tally": tally_out(group.tally),
            "accuracy": accuracy_out(group.tally.accuracy(credit)),
            "horizons": [line(h, t, credit) for h, t in group.horizons],
        }
        for group in groups
    ]
    overall = total(by_horizon.values())
    return {
        "partial_credit": credit,
        "tally": tally_out(overall),
        "accuracy": accuracy_out(overall.accuracy(credit)),
        "speakers": speakers,
        "horizons": [line(h, t, credit) for h, t in by_horizon.items()],
    }
