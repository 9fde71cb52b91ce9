"""The scorecard's tallies per speaker × horizon, counted in the database: one GROUP BY
query, whatever the number of predictions. The public page and the API's scorecard both read
them here, so they cannot disagree; the arithmetic on the counts is in `scoring.py`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from .models import Horizon, Outcome, Prediction, Status
from .scoring import Tally, total

# One Count per Tally field, each a filtered COUNT in the same GROUP BY query.
COUNTS = {
    "held_up": Count("pk", filter=Q(status=Status.RESOLVED, outcome=Outcome.HELD_UP)),
    "partially": Count("pk", filter=Q(status=Status.RESOLVED, outcome=Outcome.PARTIALLY)),
    "did_not_hold_up": Count("pk", filter=Q(status=Status.RESOLVED, outcome=Outcome.DID_NOT_HOLD_UP)),
    "unresolvable": Count("pk", filter=Q(status=Status.RESOLVED, outcome=Outcome.UNRESOLVABLE)),
    "open": Count("pk", filter=Q(status=Status.OPEN)),
    "due": Count("pk", filter=Q(status=Status.DUE)),
}


def tally_of(row: dict) -> Tally:
    return Tally(**{name: row[name] for name in COUNTS})


@dataclass(frozen=True)
class SpeakerTallies:
    """One speaker's counts (slug None: unattributed, said on the panel), in total and per
    horizon they have predictions in, horizons in Horizon order."""

    slug: str | None
    name: str  # "" for the panel
    tally: Tally
    horizons: list[tuple[str, Tally]]


def speaker_horizon_tallies(predictions: QuerySet[Prediction]) -> list[SpeakerTallies]:
    grouped = predictions.values("speaker__slug", "speaker__name", "horizon").annotate(**COUNTS).order_by()
    parts: dict[str | None, list[tuple[str, Tally]]] = defaultdict(list)
    names: dict[str | None, str] = {}
    for row in grouped:
        parts[row["speaker__slug"]].append((row["horizon"], tally_of(row)))
        names[row["speaker__slug"]] = row["speaker__name"] or ""
    result = []
    for slug, horizons in parts.items():
        horizons.sort(key=lambda part: Horizon.values.index(part[0]))
        result.append(SpeakerTallies(slug, names[slug], total(t for _, t in horizons), horizons))
    return result
