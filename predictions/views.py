"""Public pages: the scorecard, a page per speaker, the unattributed (panel) predictions,
and a page per prediction with its whole public history. No login needed.

Counts come from the database, grouped (`values().annotate(Count(filter=Q(...)))`), so a
page makes the same number of queries whatever the number of predictions; the arithmetic
on those counts is in `scoring.py`, chart geometry in `charts.py`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.functions import Coalesce, ExtractYear
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from . import charts
from .decisions import SCHEDULER
from .links import safe_href
from .models import Event, Horizon, Prediction, Source, Speaker, Status
from .scorecard import COUNTS, speaker_horizon_tallies, tally_of
from .scoring import Accuracy, Tally, brier_score, calibration, outcome_value, total

# The speaker filter's value for predictions nobody is named for (said on the panel).
# Reserved: a speaker whose slug is "unattributed" could not be picked by this filter.
UNATTRIBUTED = "unattributed"
UNATTRIBUTED_LABEL = "Unattributed (panel)"
PAGE_SIZE = 50
COMING_DUE = 6


def partial_credit() -> float:
    return float(settings.PARTIAL_CREDIT)


@dataclass(frozen=True)
class Row:
    """One line of a scorecard table."""

    label: str
    url: str
    tally: Tally
    accuracy: Accuracy | None
    panel: bool = False


class BadFilter(Exception):
    """A query-string filter names something that does not exist."""

    def __init__(self, name: str, value: str, known: list[tuple[str, str]]) -> None:
        super().__init__(f"Unknown {name} {value!r}.")
        self.name = name
        self.value = value
        self.known = known


@dataclass(frozen=True)
class Filters:
    source: Source | None = None
    speaker: Speaker | None = None
    unattributed: bool = False

    def apply(self, predictions: QuerySet[Prediction]) -> QuerySet[Prediction]:
        if self.source is not None:
            predictions = predictions.filter(source=self.source)
        if self.speaker is not None:
            predictions = predictions.filter(speaker=self.speaker)
        if self.unattributed:
            predictions = predictions.unattributed()
        return predictions

    @property
    def active(self) -> bool:
        return self.source is not None or self.speaker is not None or self.unattributed

    @property
    def speaker_value(self) -> str:
        if self.unattributed:
            return UNATTRIBUTED
        return self.speaker.slug if self.speaker else ""


def parse_filters(request: HttpRequest, speakers: list[Speaker], sources: list[Source]) -> Filters:
    """Read ?source=<slug>&speaker=<slug|unattributed>. An unknown value is refused (400):
    an empty page would read as "this speaker made no predictions", which is not true."""
    source = speaker = None
    unattributed = False
    source_slug = request.GET.get("source", "")
    if source_slug:
        source = next((s for s in sources if s.slug == source_slug), None)
        if source is None:
            raise BadFilter("source", source_slug, [(s.slug, s.title) for s in sources])
    speaker_slug = request.GET.get("speaker", "")
    if speaker_slug == UNATTRIBUTED:
        unattributed = True
    elif speaker_slug:
        speaker = next((s for s in speakers if s.slug == speaker_slug), None)
        if speaker is None:
            known = [(UNATTRIBUTED, UNATTRIBUTED_LABEL)] + [(s.slug, s.name) for s in speakers]
            raise BadFilter("speaker", speaker_slug, known)
    return Filters(source=source, speaker=speaker, unattributed=unattributed)


def bad_filter(request: HttpRequest, error: BadFilter) -> HttpResponse:
    return render(request, "predictions/bad_filter.html", {"error": error}, status=400)


def speaker_url(slug: str | None) -> str:
    return reverse("speaker", args=[slug]) if slug else reverse("unattributed")


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


def probability_context(predictions: QuerySet[Prediction], labels: dict[str | None, str]) -> dict:
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
    per_year = predictions.annotate(year=ExtractYear("due_on")).values("year").annotate(**COUNTS).order_by()
    return charts.bucket_years([(row["year"], tally_of(row)) for row in per_year], today.year)


def coming_due(predictions: QuerySet[Prediction]) -> QuerySet[Prediction]:
    # A deferred prediction comes back on its review-after date, not on its due date.
    return (
        predictions.filter(status=Status.OPEN)
        .select_related("speaker")
        .annotate(next_review=Coalesce("review_after", "due_on"))
        .order_by("next_review", "id")[:COMING_DUE]
    )


@require_safe
def scorecard(request: HttpRequest) -> HttpResponse:
    speakers = list(Speaker.objects.order_by("name"))
    sources = list(Source.objects.all())
    try:
        filters = parse_filters(request, speakers, sources)
    except BadFilter as error:
        return bad_filter(request, error)
    predictions = filters.apply(Prediction.objects.all())
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
    context = {
        "filters": filters,
        "speakers": speakers,
        "sources": sources,
        "unattributed_value": UNATTRIBUTED,
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
        "recently_resolved": predictions.resolved()
        .select_related("speaker")
        .order_by("-resolved_at", "-id")[:COMING_DUE],
        "today": today,
        **probability_context(predictions, names),
    }
    return render(request, "predictions/scorecard.html", context)


def speaker_page(request: HttpRequest, speaker: Speaker | None) -> HttpResponse:
    """A speaker's record, or (speaker None) the predictions said on the panel."""
    predictions = Prediction.objects.filter(speaker=speaker) if speaker else Prediction.objects.unattributed()
    credit = partial_credit()
    grouped = {
        row["horizon"]: tally_of(row) for row in predictions.values("horizon").annotate(**COUNTS).order_by()
    }
    horizon_rows = [
        Row(Horizon(h).label, "", grouped.get(h, Tally()), grouped.get(h, Tally()).accuracy(credit))
        for h in Horizon.values
    ]
    tally = total(grouped.values())
    label = speaker.name if speaker else UNATTRIBUTED_LABEL
    page = Paginator(predictions.select_related("source").order_by("due_on", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "speaker": speaker,
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
        "page": page,
        "filter_value": speaker.slug if speaker else UNATTRIBUTED,
        **probability_context(predictions, {speaker.slug if speaker else None: label}),
    }
    return render(request, "predictions/speaker.html", context)


@require_safe
def speaker_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return speaker_page(request, get_object_or_404(Speaker, slug=slug))


@require_safe
def unattributed(request: HttpRequest) -> HttpResponse:
    return speaker_page(request, None)


def timestamped_url(url: str, seconds: int | None) -> str:
    """The source URL, starting at `seconds` when the recording is on YouTube (&t=<s>s)."""
    if not url or seconds is None:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in ("youtu.be", "youtube.com") or host.endswith(".youtube.com"):
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
        query.append(("t", f"{seconds}s"))
        return urlunsplit(parts._replace(query=urlencode(query)))
    return url


def clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def public_actor(event: Event) -> str:
    """Who decided, as the public sees it: a role, never a reviewer's user name."""
    if event.actor_id is None and event.actor_name == SCHEDULER.name:
        return "Scheduler"
    return "Reviewer"


@dataclass(frozen=True)
class PublicEvent:
    event: Event
    actor: str
    evidence: list[tuple[str, str]]  # (text, href or "" when not a web link)


@require_safe
def prediction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    prediction = get_object_or_404(Prediction.objects.select_related("speaker", "source"), pk=pk)
    history = [
        PublicEvent(
            event=event,
            actor=public_actor(event),
            evidence=[(str(url), safe_href(str(url))) for url in (event.evidence or [])],
        )
        for event in prediction.events.order_by("at", "id")
    ]
    source = prediction.source
    context = {
        "prediction": prediction,
        "history": history,
        "source_href": safe_href(timestamped_url(source.url, prediction.source_timestamp)),
        "timestamp": clock(prediction.source_timestamp) if prediction.source_timestamp is not None else "",
        "speaker_href": speaker_url(prediction.speaker.slug if prediction.speaker else None),
        "partial_credit": partial_credit(),
    }
    return render(request, "predictions/prediction_detail.html", context)
