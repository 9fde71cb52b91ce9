"""The CSV export through PostgreSQL's COPY writes the very bytes of the ORM path (issue 11)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictions import export_sql
from predictions.export_stream import stream_export
from predictions.exporting import ExportFilters, event_rows
from predictions.models import (
    Event,
    EventKind,
    Prediction,
    Status,
)
from tests.conftest import requires_postgres
from tests.support import history_event

pytestmark = [requires_postgres, pytest.mark.django_db]

MakePrediction = Callable[..., Prediction]


def orm_csv(filters: ExportFilters, public: bool = False, chunk_size: int = 2000) -> str:
    # Passing the ORM's own rows forces the Python formatting path.
    return "".join(
        stream_export("csv", filters, public=public, rows=event_rows(filters), chunk_size=chunk_size)
    )


def copy_csv(filters: ExportFilters, public: bool = False, chunk_size: int = 2000) -> str:
    return "".join(stream_export("csv", filters, public=public, chunk_size=chunk_size))


def test_both_paths_write_the_same_bytes_for_awkward_text(nasty: list[Prediction]) -> None:
    orm = orm_csv(ExportFilters())
    assert len(orm.splitlines()) > len(nasty)  # the fixture is not empty
    assert copy_csv(ExportFilters()) == orm


def test_both_paths_write_the_same_bytes_in_a_public_download(nasty: list[Prediction]) -> None:
    orm = orm_csv(ExportFilters(), public=True)
    assert ",reviewer," in orm and "=evil" not in orm
    assert copy_csv(ExportFilters(), public=True) == orm


@pytest.mark.parametrize(
    "filters",
    [
        {"speaker": "nathan"},
        {"speaker": "unattributed"},
        {"source": "weird"},
        {"horizon": "medium"},
        {"since": date(2027, 1, 3), "until": date(2027, 1, 9)},
        {"until": date(2027, 1, 1)},
        {"since": date(2027, 1, 12), "speaker": "dash"},
        {"attribution": "attested"},
        {"attribution": "transcript", "horizon": "long"},
        {"since": date(1, 1, 1), "until": date(9999, 12, 31)},
    ],
    ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()),
)
def test_both_paths_filter_alike(nasty: list[Prediction], filters: dict[str, object]) -> None:
    chosen = ExportFilters(**filters)
    orm = orm_csv(chosen)
    assert orm.count("\r\n") > 1  # some rows, not just the header
    assert copy_csv(chosen) == orm


def test_a_date_range_is_read_in_the_site_time_zone_on_both_paths(nasty, settings) -> None:
    # 23:59:59 UTC on 2 January is 3 January in Tokyo.
    settings.TIME_ZONE = "Asia/Tokyo"
    chosen = ExportFilters(since=date(2027, 1, 3), until=date(2027, 1, 3))
    orm = orm_csv(chosen)
    assert "2027-01-02T23:59:59+00:00" in orm
    assert copy_csv(chosen) == orm


@pytest.mark.parametrize("as_queryset", [False, True])
def test_both_paths_export_an_admin_selection_alike(nasty: list[Prediction], as_queryset: bool) -> None:
    ids = [p.pk for p in nasty[::3]]
    chosen = ExportFilters(predictions=Prediction.objects.filter(pk__in=ids) if as_queryset else ids)
    orm = orm_csv(chosen)
    assert copy_csv(chosen) == orm


def test_on_postgresql_the_csv_comes_through_copy_not_the_orm_rows(nasty, monkeypatch) -> None:
    expected = orm_csv(ExportFilters())

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the ORM rows were read")

    monkeypatch.setattr("predictions.exporting.event_rows", refuse)
    assert copy_csv(ExportFilters()) == expected


def test_copy_streams_in_chunks_and_counts_its_rows(nasty: list[Prediction]) -> None:
    counted: list[int] = []
    chunks = list(stream_export("csv", ExportFilters(), chunk_size=4, on_rows=counted.append))
    events, lonely = Event.objects.count(), Prediction.objects.filter(events__isnull=True).count()
    assert sum(counted) == events + lonely
    # Full chunks of 4, each of the two SELECTs ending with what is left.
    assert counted == [4] * (events // 4) + [events % 4] + [4] * (lonely // 4) + [lonely % 4]
    assert len(chunks) == 1 + len(counted)
    assert chunks[0] == export_sql.header()
    assert "".join(chunks) == orm_csv(ExportFilters())


def test_no_rows_is_a_bare_header_on_both_paths() -> None:
    assert copy_csv(ExportFilters()) == orm_csv(ExportFilters()) == export_sql.header()


TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(claim=TEXT, note=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")))
def test_any_text_comes_out_the_same_on_both_paths(
    make_prediction: MakePrediction, claim: str, note: str
) -> None:
    with transaction.atomic():
        p = make_prediction(claim=claim, quote=note)
        history_event(p, EventKind.FLAGGED, datetime(2027, 1, 1, tzinfo=UTC), note=note, to_status=Status.DUE)
        assert copy_csv(ExportFilters()) == orm_csv(ExportFilters())
        transaction.set_rollback(True)


def test_the_copy_select_is_built_from_the_export_columns() -> None:
    [(events_sql, _), (lonely_sql, _)] = export_sql.copy_selects(ExportFilters(), public=False)
    # One outer column per export field (the topics joined, the rest the inner SELECT's).
    outer = events_sql[: events_sql.index(" FROM (")]
    assert outer.count(' AS "c') == len(export_sql.EXPORT_FIELDS)
    assert "export_k0" in events_sql and events_sql.endswith("ORDER BY x.export_k0, x.export_k1")
    assert connection.vendor == "postgresql"
