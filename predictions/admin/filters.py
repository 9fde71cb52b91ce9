"""The review queue's list filters: status (defaulting to the queue), due date, speaker and
source (the most predicted as links, a search for the rest)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import admin
from django.db.models import Field, Model, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from ..models import UNATTRIBUTED_LABEL, Prediction, PredictionQuerySet
from ..tallies import most_predicted

NEXT_DAYS = 90  # "In the next 90 days"


class ReviewQueueFilter(admin.SimpleListFilter):
    """Status, defaulting to the review queue: with no choice made the list shows what is
    due for review. "All" is a value of its own so that it can be chosen."""

    title = "status"
    parameter_name = "status"
    DEFAULT = "due"

    # value -> (label, the QuerySet's name for it); "all" is a value of its own.
    CHOICES: dict[str, tuple[str, Callable[[PredictionQuerySet], PredictionQuerySet]]] = {
        "due": ("Due for review", PredictionQuerySet.due_for_review),
        "open": ("Open (not yet due)", PredictionQuerySet.not_yet_due),
        "deferred": ("Deferred", PredictionQuerySet.deferred),
        # A panel's queues (REVIEW_QUORUM = 2): for a second reviewer, and for a third.
        "proposed": ("Proposed: waiting for a second reviewer", PredictionQuerySet.proposed),
        "disputed": ("Disputed: waiting for a third reviewer", PredictionQuerySet.disputed),
        "resolved": ("Resolved", PredictionQuerySet.resolved),
        "all": ("All", PredictionQuerySet.all),
    }

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(value, label) for value, (label, _) in self.CHOICES.items()]

    def __init__(self, request: HttpRequest, params: dict, model: type[Model], model_admin: Any) -> None:
        # A link that picks a status as a plain field lookup (?status__exact=resolved, as a
        # hand-made link may carry) chose already: the queue default must not narrow it further.
        self.status_chosen_elsewhere = any(key.startswith("status__") for key in params)
        super().__init__(request, params, model, model_admin)

    def value(self) -> str:
        return super().value() or ("all" if self.status_chosen_elsewhere else self.DEFAULT)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Prediction]) -> QuerySet[Prediction]:
        _, narrow = self.CHOICES.get(self.value(), self.CHOICES["all"])
        return narrow(queryset)

    def choices(self, changelist: Any) -> Any:
        # No built-in "All" that removes the parameter: removing it means "the queue".
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class DueDateFilter(admin.SimpleListFilter):
    title = "due date"
    parameter_name = "due"
    # value -> (label, the due dates it keeps, given today)
    CHOICES: dict[str, tuple[str, Callable[[date], Q]]] = {
        "past": ("Past due", lambda today: Q(due_on__lt=today)),
        "90d": (
            "In the next 90 days",
            lambda today: Q(due_on__gte=today, due_on__lte=today + timedelta(days=NEXT_DAYS)),
        ),
        "year": ("By the end of this year", lambda today: Q(due_on__gte=today, due_on__year=today.year)),
        "later": ("After this year", lambda today: Q(due_on__year__gt=today.year)),
    }

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(value, label) for value, (label, _) in self.CHOICES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Prediction]) -> QuerySet[Prediction]:
        if self.value() not in self.CHOICES:
            return queryset
        _, keep = self.CHOICES[self.value()]
        return queryset.filter(keep(timezone.localdate()))


class MostPredictedFilter(admin.RelatedFieldListFilter):
    """A filter by speaker or source that stays small among thousands: links to the TOP with
    the most predictions (from the tally), the chosen one wherever it ranks, and a search box
    — the admin's own autocomplete (select2), picked by static/predictions/admin_filters.js —
    for any other. Same parameters as Django's own filter, so existing links keep working."""

    template = "admin/predictions/most_predicted_filter.html"
    TOP = 10
    # A placeholder the script replaces with the picked id.
    PICKED = "__picked__"

    def field_choices(self, field: Field, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        choices = [(pk, label) for pk, _, label in most_predicted(field.name, self.TOP)]
        chosen = (self.lookup_val or [None])[-1]
        if chosen is not None and chosen not in {str(pk) for pk, _ in choices}:
            picked = (
                field.remote_field.model._default_manager.filter(pk=chosen).first()
                if chosen.isdigit()
                else None
            )
            if picked is not None:
                choices.insert(0, (picked.pk, str(picked)))
        return choices

    def choices(self, changelist: Any) -> Any:
        # What the template's search box needs: where to ask, and the link to go to.
        self.search_url = reverse(f"{changelist.model_admin.admin_site.name}:autocomplete")
        self.picked_url = changelist.get_query_string(
            {self.lookup_kwarg: self.PICKED}, [self.lookup_kwarg_isnull, "p"]
        )
        self.opts = changelist.model._meta
        return super().choices(changelist)


class SpeakerFilter(MostPredictedFilter):
    """Speakers, plus the predictions nobody was named for, by their name in the queue."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.empty_value_display = UNATTRIBUTED_LABEL


class SourceFilter(MostPredictedFilter):
    pass
