"""The scorecard's counts for a set of filters, read from the tally (`models/tally.py`) the
database's triggers keep: a few hundred rows instead of every prediction.

    tallies(Filters(speaker="ada"), ("horizon",))  ->  [{"horizon": "near", "tally": Tally(...)}, ...]

Which table answers is chosen here and nowhere else: `grain_for()` gives the smallest grain
that keeps every dimension the filters and the groups name. The tally's rows name their
dimensions as the predictions do (`speaker__slug`, `horizon`, `attribution`...), so
`Filters.q()`, the one rule for what a filter keeps, selects them as it selects
predictions. A selection of predictions by id (the admin's) is no dimension: it is counted
from the predictions themselves (`recount.count`), the same rows in the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from .filtering import Filters
from .models import Grain, Prediction, TallyRow
from .models.tally import GRAINS
from .recount import STATES, as_stated, as_tallies, count, stated_sums
from .scoring import Tally

# The filters of filtering.Filters that narrow a dimension, each the dimension of its name.
FILTERED = ("speaker", "source", "horizon", "attribution")
# What a group may be named by: a dimension, its id, or a field of the speaker or source.
GROUPS = {
    "speaker": "speaker",
    "speaker_id": "speaker",
    "speaker__slug": "speaker",
    "speaker__name": "speaker",
    "source": "source",
    "source_id": "source",
    "source__slug": "source",
    "source__title": "source",
    "attribution": "attribution",
    "horizon": "horizon",
    "due_year": "due_year",
    "probability_bin": "probability_bin",
}


def dimensions(filters: Filters, group_by: Sequence[str] = ()) -> frozenset[str]:
    """The dimensions a question names: those its filters narrow and those it groups by."""
    unknown = [name for name in group_by if name not in GROUPS]
    if unknown:
        raise ValueError(f"cannot group the tally by {unknown[0]!r}; groups are {', '.join(GROUPS)}.")
    if filters.has_date_range:
        # Filters' dates select events (the exports'); a count of predictions "since" a day
        # would be read as predictions made since then, which it is not.
        raise ValueError("the tally counts predictions; since and until select events, not predictions.")
    return frozenset(name for name in FILTERED if getattr(filters, name)) | {GROUPS[n] for n in group_by}


def grain_for(filters: Filters, group_by: Sequence[str] = ()) -> Grain | None:
    """The smallest grain that keeps every dimension `filters` and `group_by` name, or None
    for a selection of predictions by id, which only the predictions themselves can answer."""
    wanted = dimensions(filters, group_by)
    if filters.predictions is not None:
        return None
    return next(Grain(grain) for grain, kept in GRAINS.items() if wanted <= kept)


def _rows(filters: Filters, group_by: Sequence[str], grain: Grain | None) -> QuerySet[TallyRow] | None:
    """The tally rows that answer `filters` at `grain` (grain_for's when None), or None when
    the predictions must be counted instead."""
    wanted = dimensions(filters, group_by)
    if filters.predictions is not None:
        return None
    if grain is None:
        grain = grain_for(filters, group_by)
    elif not wanted <= GRAINS[grain]:
        raise ValueError(f"the {grain} grain does not keep every one of {sorted(wanted)}.")
    return TallyRow.objects.filter(grain=grain).filter(filters.q())


def tallies(
    filters: Filters, group_by: Sequence[str] = (), *, grain: Grain | None = None
) -> list[dict[str, Any]]:
    """One row per non-empty group of the predictions `filters` keep: the `group_by` values
    and their "tally" (scoring.Tally); without `group_by`, one row in all (none when there is
    nothing). One GROUP BY query whatever the number of predictions. `grain` reads another
    grain than `grain_for`'s, one that keeps as much (the tests compare them)."""
    rows = _rows(filters, group_by, grain)
    if rows is None:
        return count(filters.apply(Prediction.objects.all()), group_by)
    sums = {state: Coalesce(Sum("n", filter=Q(state=state)), 0) for state in STATES}
    counted = rows.filter(n__gt=0)
    if not group_by:
        summed = counted.aggregate(**sums)
        return as_tallies([summed], ()) if any(summed.values()) else []
    return as_tallies(counted.values(*group_by).annotate(**sums).order_by(), group_by)


def stated(
    filters: Filters, group_by: Sequence[str] = (), *, grain: Grain | None = None
) -> list[dict[str, Any]]:
    """The stated probabilities of the predictions `filters` keep, summed per group, state
    (scoring.Tally's field names) and calibration bucket: rows of the `group_by` values,
    "state", "probability_bin" and "stated" (scoring.Stated), for the Brier score and
    calibration."""
    rows = _rows(filters, (*group_by, "probability_bin"), grain)
    if rows is None:
        return stated_sums(filters.apply(Prediction.objects.all()), group_by)
    summed = (
        rows.filter(n_probability__gt=0)
        .values(*group_by, "state", "probability_bin")
        .annotate(
            stated=Sum("n_probability"), total=Sum("probability_sum"), squares=Sum("probability_squares")
        )
        .order_by()
    )
    return as_stated(summed, group_by)


def most_predicted(dimension: str, limit: int) -> list[tuple[int, str, str]]:
    """(pk, slug, name or title) of the `limit` speakers ("speaker") or sources ("source")
    with the most predictions, most first: the scorecard's menus and the admin's filters."""
    if dimension == "speaker":
        rows = TallyRow.objects.filter(grain=Grain.HORIZON, speaker__isnull=False)
        fields = ("speaker_id", "speaker__slug", "speaker__name")
    else:
        rows = TallyRow.objects.filter(grain=Grain.SOURCES)
        fields = ("source_id", "source__slug", "source__title")
    ranked = rows.filter(n__gt=0).values(*fields).annotate(total=Sum("n")).order_by("-total", fields[2])
    return list(ranked.values_list(*fields)[:limit])


def total_of(filters: Filters) -> Tally:
    """The one tally of everything `filters` keep (an empty Tally when nothing)."""
    [row] = tallies(filters) or [{"tally": Tally()}]
    return row["tally"]
