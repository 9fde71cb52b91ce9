"""Which predictions a page, a download or a command is about: one parser for the filters in
a query string or on the command line, and the one `Q` they turn into.

Unknown names and values are refused rather than ignored: a typo that silently showed or
exported everything would be the worst outcome, and an empty scorecard would read as
"this speaker made no predictions", which is not true.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict

from .models import (
    ATTESTED,
    UNATTRIBUTED,
    UNATTRIBUTED_LABEL,
    Attribution,
    Horizon,
    Prediction,
    PredictionTopic,
    Source,
    Speaker,
    Topic,
)

FILTERS = ("speaker", "source", "topic", "horizon", "attribution", "since", "until")
# ?attribution=attested: only speakers the source's text or a labelled transcript names
# (inferred attributions are left out; the panel's predictions stay their own row).
ATTESTED_VALUE = "attested"
ATTESTED_LABEL = "Only speakers named in the source or a labelled transcript"
ATTRIBUTION_VALUES = (ATTESTED_VALUE, *Attribution.values)


class FilterError(ValueError):
    """A filter names something that does not exist; the message says what is accepted."""

    def __init__(self, name: str, value: str, message: str, known: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.value = value
        self.known = list(known)  # (value, label) pairs a page can offer instead


@dataclass(frozen=True)
class Filters:
    speaker: str | None = None  # a slug, or UNATTRIBUTED for the panel's predictions
    source: str | None = None
    topic: str | None = None  # a topic's slug
    horizon: str | None = None
    attribution: str | None = None  # one of ATTRIBUTION_VALUES
    since: date | None = None  # by an event's date, inclusive, in settings.TIME_ZONE
    until: date | None = None  # inclusive
    # A selection (the admin action's): prediction ids or a QuerySet of predictions.
    predictions: Collection[int] | QuerySet | None = None
    # What the slugs name, for a page to show; looked up once by parse().
    speaker_obj: Speaker | None = field(default=None, compare=False)
    source_obj: Source | None = field(default=None, compare=False)
    topic_obj: Topic | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # The tally has no topic dimension: a topic is a selection of predictions, read from
        # the through table's (topic, prediction) index, which tallies.py counts from the
        # predictions as it does the admin's selection, and q() and stance_q() apply as one.
        if self.topic:
            chosen = PredictionTopic.objects.filter(topic__slug=self.topic)
            if self.predictions is not None:
                chosen = chosen.filter(prediction__in=self.predictions)
            object.__setattr__(self, "predictions", chosen.values("prediction_id"))

    @property
    def has_date_range(self) -> bool:
        return self.since is not None or self.until is not None

    @property
    def active(self) -> bool:
        return any((self.speaker, self.source, self.topic, self.horizon, self.attribution))

    @property
    def unattributed(self) -> bool:
        return self.speaker == UNATTRIBUTED

    def q(self, prefix: str = "") -> Q:
        """The predictions these filters keep; `prefix` reaches them from another model."""
        conditions: dict[str, Any] = {}
        if self.speaker == UNATTRIBUTED:
            conditions["speaker__isnull"] = True
        elif self.speaker:
            conditions["speaker__slug"] = self.speaker
        if self.source:
            conditions["source__slug"] = self.source
        if self.horizon:
            conditions["horizon"] = self.horizon
        conditions.update(self._attribution(panel=True))
        if self.predictions is not None:
            conditions["pk__in"] = self.predictions
        return Q(**{f"{prefix}{name}": value for name, value in conditions.items()})

    def _attribution(self, *, panel: bool) -> dict[str, Any]:
        if self.attribution == ATTESTED_VALUE:
            # The panel's predictions are kept: nobody is credited with them, so nobody's
            # attribution is in doubt.
            return {"attribution__in": [*ATTESTED, Attribution.UNATTRIBUTED] if panel else ATTESTED}
        return {"attribution": self.attribution} if self.attribution else {}

    def stance_q(self) -> Q:
        """The stances these filters keep: taken by the speaker filtered to (the panel takes
        none), on the predictions of the source and horizon filtered to, with an attribution
        of the stance itself that the filter allows."""
        if self.speaker == UNATTRIBUTED:
            return Q(pk__in=[])
        conditions: dict[str, Any] = self._attribution(panel=False)
        if self.speaker:
            conditions["speaker__slug"] = self.speaker
        if self.source:
            conditions["prediction__source__slug"] = self.source
        if self.horizon:
            conditions["prediction__horizon"] = self.horizon
        if self.predictions is not None:
            conditions["prediction__in"] = self.predictions
        return Q(**conditions)

    def apply(self, predictions: QuerySet[Prediction]) -> QuerySet[Prediction]:
        return predictions.filter(self.q())


def single_values(query: QueryDict) -> dict[str, str]:
    """A query string's parameters, each given once: `?horizon=near&horizon=long` would
    otherwise act on the long-term predictions only, as if it had been asked for them."""
    for name, values in query.lists():
        if len(values) > 1:
            raise FilterError(name, values[-1], f"given {len(values)} times; a filter takes one value.")
    return query.dict()


def _date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(name, value, f"{value!r} is not a date; write it as YYYY-MM-DD.") from None


def _speaker(slug: str) -> Speaker | None:
    if slug == UNATTRIBUTED:
        return None
    speaker = Speaker.objects.filter(slug=slug).first()
    if speaker is None:
        known = [(UNATTRIBUTED, UNATTRIBUTED_LABEL), *Speaker.objects.values_list("slug", "name")]
        raise FilterError("speaker", slug, f"no speaker with slug {slug!r} (or use {UNATTRIBUTED!r}).", known)
    return speaker


def _source(slug: str) -> Source:
    source = Source.objects.filter(slug=slug).first()
    if source is None:
        known = Source.objects.values_list("slug", "title")
        raise FilterError("source", slug, f"no source with slug {slug!r}.", known)
    return source


def _topic(slug: str) -> Topic:
    topic = Topic.objects.filter(slug=slug).first()
    if topic is None:
        known = Topic.objects.values_list("slug", "name")
        raise FilterError("topic", slug, f"no topic with slug {slug!r}.", known)
    return topic


def _choice(name: str, value: str, allowed: Collection[str]) -> str:
    if value not in allowed:
        raise FilterError(
            name,
            value,
            f"unknown {name} {value!r}; use one of {', '.join(allowed)}.",
            [(v, v) for v in allowed],
        )
    return value


def parse(
    params: Mapping[str, Any], allowed: Collection[str] = FILTERS, *, ignore_unknown: bool = False
) -> Filters:
    """Check filter values; empty means unset. Names outside `allowed` are refused, unless
    `ignore_unknown` (a public page, whose shared links may carry other parameters)."""
    unknown = sorted(set(params) - set(allowed))
    if unknown and not ignore_unknown:
        raise FilterError(unknown[0], "", f"unknown filter; the filters are {', '.join(allowed)}.")
    values = {name: str(params[name]).strip() for name in allowed if params.get(name) not in (None, "")}
    speaker = values.get("speaker")
    source = values.get("source")
    topic = values.get("topic")
    since = _date("since", values["since"]) if "since" in values else None
    until = _date("until", values["until"]) if "until" in values else None
    if since and until and since > until:
        raise FilterError("since", str(since), f"{since} is after until {until}.")
    return Filters(
        speaker=speaker,
        source=source,
        topic=topic,
        horizon=_choice("horizon", values["horizon"], Horizon.values) if "horizon" in values else None,
        attribution=(
            _choice("attribution", values["attribution"], ATTRIBUTION_VALUES)
            if "attribution" in values
            else None
        ),
        since=since,
        until=until,
        speaker_obj=_speaker(speaker) if speaker else None,
        source_obj=_source(source) if source else None,
        topic_obj=_topic(topic) if topic else None,
    )


# Query parameters that make a different public page besides the filters (the canonical
# URL keeps them; anything else, such as tracking tags, is dropped).
CANONICAL_PARAMS = ("source", "speaker", "topic", "page")
