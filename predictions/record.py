"""The record (`/predictions/`): every prediction, narrowed by the service's filters
(speaker, source, topic, horizon: `filtering.py`) and the record's own (status, outcome, a
due range, a search of the claims), read the same way on every page.

The search (`?q=`) is PostgreSQL's full text on PostgreSQL — `to_tsvector('english', claim)
@@ websearch_to_tsquery('english', q)`, written exactly as migration 0017's GIN index
`prediction_claim_search` is, so it is an index lookup, not a scan of every claim — and a
case-insensitive substring elsewhere (SQLite, for development and the tests).

A bad value is a FilterError naming its parameter: the page answers 400 with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import F, Func, QuerySet

from .filtering import FilterError, Filters, parse
from .links import speaker_url
from .models import UNATTRIBUTED_LABEL, Outcome, Prediction, Status
from .scorecard import Row, partial_credit, probability_context, ranked_speakers
from .scoring import total

SEARCH_CONFIG = "english"  # migration 0017's index is built with this configuration
SEARCH_MAX = 200  # characters of a search kept; a longer one is refused by name
# The record's parameters: the service's filters, then its own. `after`/`before` are the
# cursor (paging.py); anything else on a shared link (a campaign tag) is ignored.
SHARED = ("speaker", "source", "topic", "horizon")
OWN = ("status", "outcome", "due_from", "due_to", "q")
PARAMETERS = (*SHARED, *OWN)


class ClaimVector(Func):
    """to_tsvector('english', claim): the GIN index's expression, spelled as it is."""

    template = f"to_tsvector('{SEARCH_CONFIG}', %(expressions)s)"
    output_field = SearchVectorField()


@dataclass(frozen=True)
class RecordQuery:
    filters: Filters
    status: str | None = None
    outcome: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    q: str = ""

    @property
    def active(self) -> bool:
        return self.filters.active or any((self.status, self.outcome, self.due_from, self.due_to, self.q))

    def query_items(self) -> list[tuple[str, str]]:
        """The parameters that made this selection, for the page links and the cursor links."""
        shared = [(name, getattr(self.filters, name)) for name in SHARED if getattr(self.filters, name)]
        own = [(name, str(getattr(self, name))) for name in OWN if getattr(self, name)]
        return shared + own


def _one_of(name: str, value: str | None, allowed: list[str]) -> str | None:
    if value and value not in allowed:
        raise FilterError(
            name,
            value,
            f"unknown {name} {value!r}; use one of {', '.join(allowed)}.",
            [(v, v) for v in allowed],
        )
    return value or None


def _day(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(name, value, f"{value!r} is not a date; write it as YYYY-MM-DD.") from None


def parse_record(params: Mapping[str, Any]) -> RecordQuery:
    """The record's selection from a query string; FilterError naming the parameter at fault."""
    values = {name: str(params.get(name) or "").strip() for name in PARAMETERS}
    filters = parse({name: values[name] for name in SHARED}, allowed=SHARED)
    due_from, due_to = _day("due_from", values["due_from"]), _day("due_to", values["due_to"])
    if due_from and due_to and due_from > due_to:
        raise FilterError("due_from", str(due_from), f"{due_from} is after due_to {due_to}.")
    if len(values["q"]) > SEARCH_MAX:
        raise FilterError("q", values["q"][:20], f"a search is at most {SEARCH_MAX} characters.")
    return RecordQuery(
        filters=filters,
        status=_one_of("status", values["status"], Status.values),
        outcome=_one_of("outcome", values["outcome"], Outcome.values),
        due_from=due_from,
        due_to=due_to,
        q=values["q"],
    )


def search(predictions: QuerySet[Prediction], text: str) -> QuerySet[Prediction]:
    """The predictions whose claim matches `text` (see the module's docstring)."""
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        return predictions.alias(claim_vector=ClaimVector(F("claim"))).filter(claim_vector=query)
    return predictions.filter(claim__icontains=text)


def selected(query: RecordQuery) -> QuerySet[Prediction]:
    """The predictions the record shows for `query`, unordered (paging.py orders them)."""
    predictions = query.filters.apply(Prediction.objects.all())
    if query.status:
        predictions = predictions.filter(status=query.status)
    if query.outcome:
        predictions = predictions.filter(outcome=query.outcome)
    if query.due_from:
        predictions = predictions.filter(due_on__gte=query.due_from)
    if query.due_to:
        predictions = predictions.filter(due_on__lte=query.due_to)
    if query.q:
        predictions = search(predictions, query.q)
    return predictions


def within(filters: Filters) -> dict[str, Any]:
    """A source's or a topic's own scorecard: per-speaker totals in the scorecard's order
    and the Brier score and calibration, from scorecard.py's own functions (a topic is
    counted from its predictions, a source read from the tally: `tallies.grain_for`)."""
    credit = partial_credit()
    groups, horizons = ranked_speakers(filters, credit)
    rows = [
        Row(
            group.name or UNATTRIBUTED_LABEL,
            speaker_url(group.slug),
            group.tally,
            group.tally.accuracy(credit),
            group.slug is None,
        )
        for group in groups
    ]
    totals = total(horizons.values())
    names = {group.slug: group.name or UNATTRIBUTED_LABEL for group in groups}
    return {
        "totals": totals,
        "overall": totals.accuracy(credit),
        "partial_credit": credit,
        "speaker_rows": rows,
        **probability_context(filters, names),
    }
