"""JSON Lines through PostgreSQL's COPY writes the very bytes of the ORM path (issue 23),
on the CSV test's awkward data (tests/test_export_copy.py's `nasty`)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictions import export_sql_jsonl
from predictions.export_stream import stream_export
from predictions.exporting import ExportFilters, event_rows
from predictions.models import EventKind, Prediction, Status
from tests.conftest import requires_postgres
from tests.support import history_event

pytestmark = [requires_postgres, pytest.mark.django_db]


def orm_jsonl(filters: ExportFilters, public: bool = False) -> str:
    # Passing the ORM's own rows forces the Python encoding path.
    return "".join(stream_export("jsonl", filters, public=public, rows=event_rows(filters)))


def copy_jsonl(filters: ExportFilters, public: bool = False, chunk_size: int = 2000) -> str:
    return "".join(stream_export("jsonl", filters, public=public, chunk_size=chunk_size))


def test_both_paths_write_the_same_bytes_for_awkward_text(nasty: list[Prediction]) -> None:
    orm = orm_jsonl(ExportFilters())
    lines = orm.split("\n")[:-1]  # not splitlines(): a U+2028 in a claim is no line end
    assert len(lines) > len(nasty)
    assert any(json.loads(line)["event"] is None for line in lines)  # predictions without history too
    assert copy_jsonl(ExportFilters()) == orm


def test_both_paths_write_the_same_bytes_in_a_public_download(nasty: list[Prediction]) -> None:
    orm = orm_jsonl(ExportFilters(), public=True)
    assert '"actor":"reviewer"' in orm and "=evil" not in orm
    assert copy_jsonl(ExportFilters(), public=True) == orm


@pytest.mark.parametrize(
    "filters",
    [
        {"speaker": "nathan"},
        {"speaker": "unattributed"},
        {"since": date(2027, 1, 3), "until": date(2027, 1, 9)},
    ],
    ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()),
)
def test_both_paths_filter_alike(nasty: list[Prediction], filters: dict[str, object]) -> None:
    chosen = ExportFilters(**filters)
    orm = orm_jsonl(chosen)
    assert orm.count("\n") > 1
    assert copy_jsonl(chosen) == orm


def test_on_postgresql_json_lines_come_through_copy_not_the_orm_rows(nasty, monkeypatch) -> None:
    expected = orm_jsonl(ExportFilters())

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the ORM rows were read")

    monkeypatch.setattr("predictions.exporting.event_rows", refuse)
    assert copy_jsonl(ExportFilters()) == expected


def test_copy_streams_json_lines_in_chunks_and_counts_them(nasty: list[Prediction]) -> None:
    counted: list[int] = []
    chunks = list(stream_export("jsonl", ExportFilters(), chunk_size=4, on_rows=counted.append))
    assert len(chunks) == len(counted) > 2
    assert sum(counted) == "".join(chunks).count("\n")
    assert max(counted) == 4


def test_no_rows_is_no_lines_on_both_paths() -> None:
    assert copy_jsonl(ExportFilters()) == orm_jsonl(ExportFilters()) == ""


def test_each_select_is_one_json_column_built_from_the_export_columns() -> None:
    [(events_sql, _), _] = export_sql_jsonl.jsonl_selects(ExportFilters(), public=False)
    assert events_sql.startswith("SELECT row_to_json(r)::text FROM (SELECT ")
    outer = events_sql.split(" FROM (")[1]  # the SELECT row_to_json reads
    names = re.findall(r' AS "(\w+)"', outer)
    assert names == list(export_sql_jsonl.EXPORT_FIELDS)  # every key, in the export's order


TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(claim=TEXT, note=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")))
def test_any_text_comes_out_the_same_on_both_paths(make_prediction, claim: str, note: str) -> None:
    with transaction.atomic():
        p = make_prediction(claim=claim, quote=note)
        history_event(
            p,
            EventKind.FLAGGED,
            datetime(2027, 1, 1, tzinfo=UTC),
            note=note,
            to_status=Status.DUE,
            evidence=[note, claim],
        )
        assert copy_jsonl(ExportFilters()) == orm_jsonl(ExportFilters())
        transaction.set_rollback(True)
