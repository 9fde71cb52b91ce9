"""insert_rows(): many new rows in one statement (COPY on PostgreSQL), exactly as bulk_create
would have written them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from predictions.bulk import insert_like, insert_rows
from predictions.models import Event, EventKind, Prediction, Status

pytestmark = pytest.mark.django_db

AWKWARD = ["plain", "tab\there", "new\nline", "back\\slash \\N \\.", "", "Žluťoučký 🙂", 'comma, "quote"']


def events(prediction: Prediction, actor_id: int | None) -> list[Event]:
    return [
        Event(
            prediction=prediction,
            kind=EventKind.DEFERRED if i % 2 else EventKind.FLAGGED,
            at=datetime(2027, 1, 1, 9, 30, i, i * 1000, tzinfo=UTC),
            actor_id=actor_id if i % 3 == 0 else None,
            actor_name=text or "scheduler",
            from_status=Status.DUE,
            to_status=Status.OPEN,
            review_after=date(2027, 6, i + 1) if i % 2 else None,
            note=text,
            evidence=[f"https://example.org/{i}", text] if i % 2 else [],
        )
        for i, text in enumerate(AWKWARD)
    ]


def stored(prediction: Prediction) -> list[dict[str, object]]:
    return [
        {k: v for k, v in row.items() if k not in ("id", "prediction_id")}
        for row in Event.objects.filter(prediction=prediction).order_by("at", "id").values()
    ]


def test_it_writes_what_bulk_create_writes(make_prediction: Callable[..., Prediction], reviewer) -> None:
    ours, theirs = make_prediction(), make_prediction()
    insert_rows(events(ours, reviewer.pk))
    Event.objects.bulk_create(events(theirs, reviewer.pk))
    assert len(stored(ours)) == len(AWKWARD)
    assert stored(ours) == stored(theirs)


def test_it_is_one_statement_for_many_rows(make_prediction: Callable[..., Prediction]) -> None:
    prediction = make_prediction()
    rows = events(prediction, None) * 30
    with CaptureQueriesContext(connection) as ctx:
        insert_rows(rows)
    # COPY goes round Django's query log; bulk_create on SQLite splits by its parameter limit.
    assert len(ctx.captured_queries) <= (0 if connection.vendor == "postgresql" else 3)
    assert Event.objects.filter(prediction=prediction).count() == len(rows)


def test_nothing_to_write_writes_nothing() -> None:
    with CaptureQueriesContext(connection) as ctx:
        insert_rows([])
    assert ctx.captured_queries == []


def test_insert_like_writes_the_template_with_each_rows_own_values(
    make_prediction: Callable[..., Prediction], reviewer
) -> None:
    ours, theirs = make_prediction(), make_prediction()
    template = events(ours, reviewer.pk)[1]  # a deferral: review date and evidence set
    assert insert_like(template, ("prediction_id", "note"), [(ours.pk, text) for text in AWKWARD]) == len(
        AWKWARD
    )
    Event.objects.bulk_create(
        [
            Event(
                **{
                    **{
                        f.attname: getattr(template, f.attname)
                        for f in Event._meta.concrete_fields
                        if not f.primary_key
                    },
                    "prediction_id": theirs.pk,
                    "note": text,
                }
            )
            for text in AWKWARD
        ]
    )
    written = Event.objects.filter(prediction=ours).order_by("id")
    assert [e.note for e in written] == AWKWARD
    assert {(e.kind, e.review_after, tuple(e.evidence), e.actor_id) for e in written} == {
        (EventKind.DEFERRED, date(2027, 6, 2), ("https://example.org/1", "tab\there"), None)
    }
    assert stored(ours) == stored(theirs)
