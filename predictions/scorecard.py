"""The scorecard's numbers and rows for a set of filters (`filtering.Filters`): counts from
the tally (`tallies.py`) and the stances (`Stance.objects.tallies`), arithmetic from
`scoring.py`, rows and charts for the pages. The public pages and the API's scorecard both
read them here, so they cannot disagree.

A speaker's stances on other people's predictions count in their record but are shown
apart from the predictions they made themselves: the "By speaker" rows are only their own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import charts
from .filtering import Filters
from .links import speaker_url
from .models import UNATTRIBUTED_LABEL, Attribution, Horizon, Prediction, Stance, Status, Topic
from .scoring import (
    Accuracy,
    Stated,
    Tally,
    brier_from_sums,
    calibration_from_sums,
    outcome_value,
    percent,
    total,
)
from .tallies import stated, tallies

COMING_DUE = 6
# The first page's "By speaker" rows; every speaker is on /scorecard/speakers/.
TOP_SPEAKERS = 10


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


def speaker_horizon_tallies(filters: Filters) -> list[SpeakerTallies]:
    parts: dict[str | None, list[tuple[str, Tally]]] = defaultdict(list)
    names: dict[str | None, str] = {}
    for row in tallies(filters, ("speaker__slug", "speaker__name", "horizon")):
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
    inferred: int = 0  # how many of the row's predictions have an inferred attribution


@dataclass(frozen=True)
class StanceRow:
    """A speaker's stances on other people's predictions, each scored on the outcome it
    backed (scoring.stance_outcome); `combined` is their own predictions and stances together."""

    label: str
    url: str
    agrees: int
    disputes: int
    tally: Tally
    accuracy: Accuracy | None
    combined: Accuracy | None
    inferred: int = 0
    panel: bool = False  # never: the panel takes no stances; here for row_order


def row_order(row: Row | StanceRow) -> tuple:
    """People first, best-supported accuracy first: ordered by the interval's lower bound, so
    "2 of 2" (34%) sits below "40 of 50" (67%). Unscored people next, the panel row last."""
    acc = row.accuracy
    return (row.panel, acc is None, -(acc.low if acc else 0), -(acc.n if acc else 0), row.label)


def inferred_counts(filters: Filters) -> dict[str | None, int]:
    """How many of each speaker's predictions were attributed by inference, in one query
    (of the tally): grouped by attribution too, so that an attribution filter still applies."""
    rows = tallies(filters, ("speaker__slug", "attribution"))
    return {
        row["speaker__slug"]: row["tally"].tracked
        for row in rows
        if row["attribution"] == Attribution.INFERRED
    }


def stance_rows(stances: QuerySet[Stance], own: dict[str | None, Tally]) -> list[StanceRow]:
    """One row per speaker who took a stance, best-supported accuracy first; `own` holds the
    tallies of the predictions they made themselves, for the record with both."""
    credit = partial_credit()
    rows = [
        StanceRow(
            label=group["speaker__name"],
            url=speaker_url(group["speaker__slug"]),
            agrees=group["agrees"],
            disputes=group["disputes"],
            tally=group["tally"],
            accuracy=group["tally"].accuracy(credit),
            combined=(group["tally"] + own.get(group["speaker__slug"], Tally())).accuracy(credit),
            inferred=group["inferred"],
        )
        for group in stances.tallies("speaker__slug", "speaker__name")
    ]
    return sorted(rows, key=row_order)


def probability_context(filters: Filters, labels: dict[str | None, str]) -> dict[str, Any]:
    """Brier score, calibration and Brier by speaker, from stated probabilities summed per
    speaker, outcome and calibration bucket (`tallies.stated`, read from the tally)."""
    credit = partial_credit()
    overall: dict[str, Stated] = defaultdict(Stated)
    by_speaker: dict[str | None, dict[str, Stated]] = defaultdict(lambda: defaultdict(Stated))
    by_bucket: dict[int, dict[str, Stated]] = defaultdict(lambda: defaultdict(Stated))
    for row in stated(filters, ("speaker__slug",)):
        state, sums = row["state"], row["stated"]
        overall[state] += sums
        by_speaker[row["speaker__slug"]][state] += sums
        by_bucket[row["probability_bin"]][state] += sums
    scored = sum(sums.n for state, sums in overall.items() if outcome_value(state, credit) is not None)
    return {
        "probabilities_given": sum(sums.n for sums in overall.values()),
        "probabilities_scored": scored,
        "brier": brier_from_sums(overall, credit),
        "calibration": calibration_from_sums(by_bucket, credit) if scored else [],
        "brier_by_speaker": [
            (labels.get(slug, UNATTRIBUTED_LABEL), n, brier_from_sums(states, credit))
            for slug, states in sorted(by_speaker.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
            if (n := sum(s.n for o, s in states.items() if outcome_value(o, credit) is not None))
        ],
    }


def due_periods(filters: Filters, today: date) -> list[tuple[str, Tally]]:
    """Counts per due year from the tally, merged into the timeline's periods."""
    per_year = tallies(filters, ("due_year",))
    return charts.bucket_years([(row["due_year"], row["tally"]) for row in per_year], today.year)


def coming_due(
    predictions: QuerySet[Prediction], after: tuple[date, int] | None = None
) -> QuerySet[Prediction]:
    """The open predictions in the order they come up for review, after the (date, id) key
    `after` if given: a keyset page on the index `prediction_next_review` (its (Coalesce, id)
    order), so a later page costs what the first does. Slice it to the page's size."""
    # A deferred prediction comes back on its review-after date, not on its due date.
    rows = (
        predictions.open().select_related("speaker").annotate(next_review=Coalesce("review_after", "due_on"))
    )
    if after is not None:
        day, pk = after
        rows = rows.filter(next_review__gte=day).filter(
            TupleGreaterThan(Tuple(F("next_review"), F("id")), (day, pk))
        )
    return rows.order_by("next_review", "id")


def recently_resolved(predictions: QuerySet[Prediction]) -> list[Prediction]:
    """The last COMING_DUE outcomes by when they became known, then when they were recorded:
    an outcome recorded today that was known last spring is not news. Outcomes recorded
    before outcomes said when they became known (known_on empty) follow, latest recorded
    first, read only when fewer than COMING_DUE say it. Each is a backward walk of the
    index `prediction_recently_known` (migration 0019), no sort: the known ones over its
    dates, the others over its NULLs (an index has no NULLS LAST on SQLite, so the two
    parts are two queries rather than one ORDER BY ... NULLS LAST)."""
    # The same ORDER BY for both, known_on first although it is NULL throughout the second
    # part: PostgreSQL then reads the index in its order ("IS NULL" alone would be a sort).
    resolved = predictions.resolved().select_related("speaker").order_by("-known_on", "-resolved_at", "-id")
    latest = list(resolved.filter(known_on__isnull=False)[:COMING_DUE])
    if len(latest) < COMING_DUE:
        latest += resolved.filter(known_on__isnull=True)[: COMING_DUE - len(latest)]
    return latest


def ranked_speakers(filters: Filters, credit: float) -> tuple[list[SpeakerTallies], dict[str, Tally]]:
    """The speakers' tallies in the scorecard's order (`row_order`), and the totals per
    horizon: what the page's tables and the API's scorecard both show."""
    groups = speaker_horizon_tallies(filters)
    horizons = {h: Tally() for h in Horizon.values}
    for group in groups:
        for h, t in group.horizons:
            horizons[h] += t

    def order(group: SpeakerTallies) -> tuple:
        label = group.name or UNATTRIBUTED_LABEL
        return row_order(Row(label, "", group.tally, group.tally.accuracy(credit), group.slug is None))

    return sorted(groups, key=order), horizons


@dataclass(frozen=True)
class Ranked:
    """Every speaker's row in the scorecard's order, each with its rows per horizon (so the
    speaker × horizon table follows the same order), and the rows per horizon overall."""

    speaker_groups: list[tuple[Row, list[Row]]]
    horizon_rows: list[Row]
    totals: Tally
    names: dict[str | None, str]  # slug -> label, the panel's included
    own: dict[str | None, Tally]  # slug -> their own predictions' tally

    @property
    def speaker_rows(self) -> list[Row]:
        return [row for row, _ in self.speaker_groups]


def ranked(filters: Filters, credit: float, *, per_horizon: bool = False) -> Ranked:
    """The speakers in order; with `per_horizon`, each with their rows per horizon too (only
    the speaker x horizon page draws them: a thousand rows with an interval each at 200
    speakers)."""
    inferred = inferred_counts(filters)
    names: dict[str | None, str] = {None: UNATTRIBUTED_LABEL}
    own: dict[str | None, Tally] = {}
    speaker_groups: list[tuple[Row, list[Row]]] = []
    groups, horizon_tallies = ranked_speakers(filters, credit)
    for group in groups:
        names[group.slug] = group.name or UNATTRIBUTED_LABEL
        own[group.slug] = group.tally
        url = speaker_url(group.slug)
        panel = group.slug is None
        row = Row(
            names[group.slug],
            url,
            group.tally,
            group.tally.accuracy(credit),
            panel,
            inferred.get(group.slug, 0),
        )
        cells = (
            [Row(Horizon(h).label, url, t, t.accuracy(credit), panel) for h, t in group.horizons]
            if per_horizon
            else []
        )
        speaker_groups.append((row, cells))
    horizon_rows = [Row(Horizon(h).label, "", t, t.accuracy(credit)) for h, t in horizon_tallies.items()]
    return Ranked(speaker_groups, horizon_rows, total(horizon_tallies.values()), names, own)


def speaker_chart(rows: list[Row]) -> charts.AccuracyChart:
    return charts.accuracy_chart(
        "speaker-chart",
        "Accuracy by speaker, with 95% intervals",
        [(r.label, r.accuracy, r.panel) for r in rows],
    )


def horizon_chart(rows: list[Row]) -> charts.AccuracyChart:
    return charts.accuracy_chart(
        "horizon-chart",
        "Accuracy by horizon, with 95% intervals",
        [(r.label, r.accuracy, False) for r in rows],
    )


def totals_context(board: Ranked, credit: float) -> dict[str, Any]:
    return {"totals": board.totals, "overall": board.totals.accuracy(credit), "partial_credit": credit}


# The scorecard's pages (views.SCORECARD_TABS), each its own context: the first page answers
# "who called it" with the totals, the TOP_SPEAKERS best records, the horizons and the latest
# outcomes; the long tables are pages of their own, so no render draws every speaker x horizon.


def overview_context(filters: Filters) -> dict[str, Any]:
    """The first page: totals, the TOP_SPEAKERS first rows of "By speaker" (and how many
    there are in all), the horizons, the next COMING_DUE and the last COMING_DUE resolved."""
    credit = partial_credit()
    board = ranked(filters, credit)
    predictions = filters.apply(Prediction.objects.all())
    top = board.speaker_rows[:TOP_SPEAKERS]
    return {
        **totals_context(board, credit),
        "speaker_rows": top,
        "speaker_count": len(board.speaker_groups),
        "any_inferred": any(row.inferred for row in top),
        "speaker_chart": speaker_chart(top),
        "horizon_rows": board.horizon_rows,
        "horizon_chart": horizon_chart(board.horizon_rows),
        "coming_due": coming_due(predictions)[:COMING_DUE],
        "recently_resolved": recently_resolved(predictions),
    }


def speakers_context(filters: Filters) -> dict[str, Any]:
    """Every speaker's row, in order (the view pages them)."""
    credit = partial_credit()
    board = ranked(filters, credit)
    return {**totals_context(board, credit), "speaker_rows": board.speaker_rows}


def horizons_context(filters: Filters) -> dict[str, Any]:
    """By horizon, and every speaker's rows per horizon (the view pages the speakers)."""
    credit = partial_credit()
    board = ranked(filters, credit, per_horizon=True)
    return {
        **totals_context(board, credit),
        "horizon_rows": board.horizon_rows,
        "horizon_chart": horizon_chart(board.horizon_rows),
        "speaker_by_horizon": board.speaker_groups,
    }


def stances_context(filters: Filters) -> dict[str, Any]:
    credit = partial_credit()
    board = ranked(filters, credit)
    taken = stance_rows(Stance.objects.filter(filters.stance_q()), board.own)
    return {
        **totals_context(board, credit),
        "stance_rows": taken,
        "any_inferred": any(row.inferred for row in taken),
    }


def timeline_context(filters: Filters) -> dict[str, Any]:
    credit = partial_credit()
    board = ranked(filters, credit)
    today = timezone.localdate()
    periods = due_periods(filters, today)
    return {
        **totals_context(board, credit),
        "due_periods": periods,
        "timeline": charts.timeline_chart("timeline", periods),
        "today": today,
    }


def calibration_context(filters: Filters) -> dict[str, Any]:
    credit = partial_credit()
    board = ranked(filters, credit)
    return {**totals_context(board, credit), **probability_context(filters, board.names)}


def coming_due_context(filters: Filters) -> dict[str, Any]:
    """The totals only: the view reads the page of coming predictions (`coming_due`)."""
    credit = partial_credit()
    return totals_context(ranked(filters, credit), credit)


def stances_taken(slug: str | None, topic: Topic | None = None) -> QuerySet[Stance]:
    """The stances a speaker took (none for the panel), on `topic`'s predictions when one is
    given, in the order of the predictions' due dates."""
    if slug is None:
        return Stance.objects.none()
    stances = Stance.objects.filter(speaker__slug=slug)
    if topic is not None:
        stances = stances.filter(prediction__topics=topic)
    return stances.select_related("speaker", "prediction__speaker", "prediction__source").order_by(
        "prediction__due_on", "prediction_id"
    )


def speaker_context(filters: Filters, label: str) -> dict[str, Any]:
    """A speaker's record (`filters` of one speaker, or of the panel's predictions): their
    own predictions, and apart from them the stances they took on other people's (within
    the filters' topic, as their own are, so the two add like to like)."""
    credit = partial_credit()
    slug = None if filters.unattributed else filters.speaker
    grouped = {row["horizon"]: row["tally"] for row in tallies(filters, ("horizon",))}
    horizon_rows = [
        Row(Horizon(h).label, "", grouped.get(h, Tally()), grouped.get(h, Tally()).accuracy(credit))
        for h in Horizon.values
    ]
    tally = total(grouped.values())
    stance_row = next(iter(stance_rows(stances_taken(slug, filters.topic_obj), {slug: tally})), None)
    return {
        "label": label,
        "tally": tally,
        "overall": tally.accuracy(credit),
        "stance_row": stance_row,
        "partial_credit": credit,
        "horizon_rows": horizon_rows,
        "horizon_chart": charts.accuracy_chart(
            "horizon-chart",
            f"{label}: accuracy by horizon, with 95% intervals",
            [(r.label, r.accuracy, False) for r in horizon_rows],
        ),
        **probability_context(filters, {slug: label}),
    }


def share_line(label: str, tally: Tally, accuracy: Accuracy | None) -> str:
    """ "Nathan Lambert: 5 of 8 held up, 63% (31%–86%)": the numbers the page shows, its
    accuracy and 95% interval, with the credited count (held up + partial credit × partially)."""
    if accuracy is None:
        tracked = tally.tracked
        return f"{label}: {tracked} prediction{'s' if tracked != 1 else ''} tracked, none scored yet"
    return (
        f"{label}: {accuracy.credited:g} of {accuracy.n} held up, "
        f"{percent(accuracy.value)} ({percent(accuracy.low)}–{percent(accuracy.high)})"
    )


def prediction_line(prediction: Prediction) -> str:
    """ "Nathan Lambert in <source>, due 31 Jan 2029: held up." for a prediction's page."""
    if prediction.status == Status.RESOLVED:
        state = prediction.get_outcome_display().lower()
    else:
        state = prediction.get_status_display().lower()
    return f"{prediction.speaker_label} in {prediction.source.title}, due {prediction.due_on.day} {prediction.due_on:%b %Y}: {state}"
