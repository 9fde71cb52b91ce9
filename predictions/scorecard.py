"""The scorecard's numbers and rows: tallies from the database (`Prediction.objects.tallies`),
arithmetic from `scoring.py`, rows and charts for the pages. The public pages and the API's
scorecard both read them here, so they cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from . import charts
from .models import UNATTRIBUTED_LABEL, Horizon, Prediction
from .scoring import Accuracy, Tally, brier_score, calibration, outcome_value, total
from .templatetags.links import speaker_url

COMING_DUE = 6


def partial_credit() -> float:
    return float(settings.PARTIAL_CREDIT)


@dataclass(frozen=True)
class SpeakerTallies:
    """One speaker's counts (slug None: unattributed, said on the panel), in total and per
    horizon they have predictions in, horizons in Horizon order."""

    slug: str | None
    name: str  # "" for the panel
    tally: Tally
    horizons: list[tuple[str, Tally]]


def speaker_horizon_tallies(predictions: QuerySet[Prediction]) -> list[SpeakerTallies]:
    parts: dict[str | None, list[tuple[str, Tally]]] = defaultdict(list)
    names: dict[str | None, str] = {}
    for row in predictions.tallies("speaker__slug", "speaker__name", "horizon"):
        parts[row["speaker__slug"]].append((row["horizon"], row["tally"]))
        names[row["speaker__slug"]] = row["speaker__name"] or ""
    result = []
    for slug, horizons in parts.items():
        horizons.sort(key=lambda part: Horizon.values.index(part[0]))
        result.append(SpeakerTallies(slug, names[slug], total(t for _, t in horizons), horizons))
    return result


@dataclass(frozen=True)
class Row:
    """One line of a scorecard table."""

    label: str
    url: str
    tally: Tally
    accuracy: Accuracy | None
    panel: bool = False


def row_order(row: Row) -> tuple:
    """People first, best-supported accuracy first: ordered by the interval's lower bound, so
    "2 of 2" (34%) sits below "40 of 50" (67%). Unscored people next, the panel row last."""
    acc = row.accuracy
    return (row.panel, acc is None, -(acc.low if acc else 0), -(acc.n if acc else 0), row.label)


def forecasts_of(predictions: QuerySet[Prediction]) -> tuple[int, list[tuple[str | None, float, float]]]:
    """(how many carry a probability, [(speaker slug, probability, outcome value)] scored)."""
    credit = partial_credit()
    given = 0
    scored = []
    rows = predictions.filter(probability__isnull=False).values_list(
        "speaker__slug", "probability", "outcome"
    )
    for slug, probability, outcome in rows.order_by():
        given += 1
        value = outcome_value(outcome, credit)
        if value is not None:
            scored.append((slug, float(probability), value))
    return given, scored


def probability_context(predictions: QuerySet[Prediction], labels: dict[str | None, str]) -> dict[str, Any]:
    given, scored = forecasts_of(predictions)
    pairs = [(p, v) for _, p, v in scored]
    by_speaker: dict[str | None, list[tuple[float, float]]] = defaultdict(list)
    for slug, p, v in scored:
        by_speaker[slug].append((p, v))
    return {
        "probabilities_given": given,
        "probabilities_scored": len(pairs),
        "brier": brier_score(pairs),
        "calibration": calibration(pairs) if pairs else [],
        "brier_by_speaker": [
            (labels.get(slug, UNATTRIBUTED_LABEL), len(items), brier_score(items))
            for slug, items in sorted(by_speaker.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        ],
    }


def due_periods(predictions: QuerySet[Prediction], today: date) -> list[tuple[str, Tally]]:
    """Counts per due year from the database, merged into the timeline's periods."""
    per_year = predictions.annotate(year=ExtractYear("due_on")).tallies("year")
    return charts.bucket_years([(row["year"], row["tally"]) for row in per_year], today.year)


def coming_due(predictions: QuerySet[Prediction]) -> QuerySet[Prediction]:
    # A deferred prediction comes back on its review-after date, not on its due date.
    return (
        predictions.open()
        .select_related("speaker")
        .annotate(next_review=Coalesce("review_after", "due_on"))
        .order_by("next_review", "id")[:COMING_DUE]
    )


def recently_resolved(predictions: QuerySet[Prediction]) -> QuerySet[Prediction]:
    return predictions.resolved().select_related("speaker").order_by("-resolved_at", "-id")[:COMING_DUE]


def scorecard_context(predictions: QuerySet[Prediction]) -> dict[str, Any]:
    """Everything the scorecard page shows about `predictions` (already filtered)."""
    credit = partial_credit()
    names: dict[str | None, str] = {None: UNATTRIBUTED_LABEL}
    # (speaker row, its horizon rows), so the speaker × horizon table follows the same order.
    speaker_groups: list[tuple[Row, list[Row]]] = []
    horizon_tallies: dict[str, Tally] = {h: Tally() for h in Horizon.values}
    for group in speaker_horizon_tallies(predictions):
        names[group.slug] = group.name or UNATTRIBUTED_LABEL
        url = speaker_url(group.slug)
        panel = group.slug is None
        row = Row(names[group.slug], url, group.tally, group.tally.accuracy(credit), panel)
        cells = [Row(Horizon(h).label, url, t, t.accuracy(credit), panel) for h, t in group.horizons]
        speaker_groups.append((row, cells))
        for h, t in group.horizons:
            horizon_tallies[h] += t
    speaker_groups.sort(key=lambda group: row_order(group[0]))
    speaker_rows = [row for row, _ in speaker_groups]
    horizon_rows = [Row(Horizon(h).label, "", t, t.accuracy(credit)) for h, t in horizon_tallies.items()]
    totals = total(horizon_tallies.values())
    today = timezone.localdate()
    periods = due_periods(predictions, today)
    return {
        "totals": totals,
        "overall": totals.accuracy(credit),
        "partial_credit": credit,
        "speaker_rows": speaker_rows,
        "horizon_rows": horizon_rows,
        "speaker_by_horizon": speaker_groups,
        "speaker_chart": charts.accuracy_chart(
            "speaker-chart",
            "Accuracy by speaker, with 95% intervals",
            [(r.label, r.accuracy, r.panel) for r in speaker_rows],
        ),
        "horizon_chart": charts.accuracy_chart(
            "horizon-chart",
            "Accuracy by horizon, with 95% intervals",
            [(r.label, r.accuracy, False) for r in horizon_rows],
        ),
        "due_periods": periods,
        "timeline": charts.timeline_chart("timeline", periods),
        "coming_due": coming_due(predictions),
        "recently_resolved": recently_resolved(predictions),
        "today": today,
        **probability_context(predictions, names),
    }


def speaker_context(predictions: QuerySet[Prediction], slug: str | None, label: str) -> dict[str, Any]:
    """A speaker's record (slug None: the panel's predictions)."""
    credit = partial_credit()
    grouped = {row["horizon"]: row["tally"] for row in predictions.tallies("horizon")}
    horizon_rows = [
        Row(Horizon(h).label, "", grouped.get(h, Tally()), grouped.get(h, Tally()).accuracy(credit))
        for h in Horizon.values
    ]
    tally = total(grouped.values())
    return {
        "label": label,
        "tally": tally,
        "overall": tally.accuracy(credit),
        "partial_credit": credit,
        "horizon_rows": horizon_rows,
        "horizon_chart": charts.accuracy_chart(
            "horizon-chart",
            f"{label}: accuracy by horizon, with 95% intervals",
            [(r.label, r.accuracy, False) for r in horizon_rows],
        ),
        **probability_context(predictions, {slug: label}),
    }
