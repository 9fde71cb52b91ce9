"""Bad input gives a clear error naming the record and field and writes nothing, the same on
SQLite and PostgreSQL: NUL characters, invalid UTF-8, deep nesting, out-of-range years and
numbers, duplicate keys, overlong text, oversized files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from predictions.export_stream import stream_export
from predictions.forms import OutcomeForm
from predictions.importing import ImportProblems, import_path
from predictions.importing.reading import MAX_FILE_BYTES
from predictions.models import CLAIM_MAX, NOTE_MAX, Event, EventKind, Prediction, Source, Speaker, Status

pytestmark = pytest.mark.django_db

SOURCE = """\
sources:
  - slug: pod
    title: A podcast
    published_on: 2026-01-31
"""


def prediction(**fields: object) -> str:
    record = {"key": "p1", "source": "pod", "claim": "It will rain.", "horizon": "near"}
    record |= {"resolution_criteria": "Rain is measured.", **fields}
    return SOURCE + "predictions:\n  - " + json.dumps(record) + "\n"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ImportProblems) as refused:
        import_path(path)
    assert (Prediction.objects.count(), Source.objects.count(), Speaker.objects.count()) == (0, 0, 0)
    return refused.value.problems


def write(tmp_path: Path, text: str | bytes, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize("field", ["claim", "quote", "resolution_criteria", "section", "horizon_as_said"])
def test_a_nul_character_is_refused_naming_the_record_and_field(tmp_path: Path, field: str) -> None:
    problems = problems_of(write(tmp_path, prediction(**{field: "before\x00after"})))
    assert problems == [
        f'predictions[0] (key "p1"): {field}: contains a NUL character (\\x00), which the database cannot store'
    ]


def test_invalid_utf8_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, prediction().encode() + b"# caf\xe9\n")
    assert problems_of(path) == [
        f"{path}: not UTF-8 text (invalid continuation byte at byte {len(prediction()) + 5})."
    ]


def test_a_deeply_nested_document_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert problems_of(path) == [f"{path}: nested too deeply to be a prediction file."]


def test_a_horizon_of_9000_years_is_refused_naming_the_field(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, prediction(horizon_as_said="9000 years out")))
    assert problems == [
        "predictions[0] (key \"p1\"): horizon_as_said: '9000 years out' puts the due date past 9999-12-31"
    ]


@pytest.mark.parametrize("value", [1e30, 10**12, -1])
def test_a_source_timestamp_out_of_range_is_refused(tmp_path: Path, value: object) -> None:
    (problem,) = problems_of(write(tmp_path, prediction(source_timestamp=value)))
    assert problem.startswith('predictions[0] (key "p1"): source_timestamp: ')


def test_a_duplicate_top_level_key_is_refused_naming_the_line(tmp_path: Path) -> None:
    text = prediction() + "predictions: []\n"
    (problem,) = problems_of(write(tmp_path, text))
    assert "duplicate key 'predictions' (first on line 5)" in problem
    assert "line 7" in problem


def test_a_duplicate_key_inside_a_record_is_refused_in_json_too(tmp_path: Path) -> None:
    text = '{"sources": [{"slug": "pod", "slug": "other", "title": "T", "published_on": "2026-01-31"}]}'
    (problem,) = problems_of(write(tmp_path, text, "file.json"))
    assert "duplicate key 'slug' (first on line 1)" in problem


def test_a_five_million_character_claim_is_refused(tmp_path: Path) -> None:
    (problem,) = problems_of(write(tmp_path, prediction(claim="x" * 5_000_000)))
    assert problem == f'predictions[0] (key "p1"): claim: String should have at most {CLAIM_MAX} characters'


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = write(tmp_path, prediction() + "#" * MAX_FILE_BYTES + "\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: ") and f"over the {MAX_FILE_BYTES:,}-byte limit" in problem


# --- the database and the admin hold the same limits ---------------------------------


def test_the_database_refuses_an_overlong_claim(make_prediction: Callable[..., Prediction]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_prediction(claim="x" * (CLAIM_MAX + 1))
    make_prediction(claim="x" * CLAIM_MAX)


def test_the_database_refuses_an_overlong_history_note(make_prediction: Callable[..., Prediction]) -> None:
    p = make_prediction()
    fields = dict(prediction=p, kind=EventKind.FLAGGED, at=timezone.now(), actor_name="scheduler")
    fields |= dict(from_status=Status.OPEN, to_status=Status.DUE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(**fields, note="x" * (NOTE_MAX + 1))
    Event.objects.create(**fields, note="x" * NOTE_MAX)


def test_the_admin_forms_hold_the_same_limits() -> None:
    assert Prediction._meta.get_field("claim").formfield().max_length == CLAIM_MAX
    form = OutcomeForm(data={"outcome": "held_up", "note": "x" * (NOTE_MAX + 1), "evidence": ""})
    assert not form.is_valid()
    assert "note" in form.errors


# --- history exports -----------------------------------------------------------------


@pytest.fixture
def export_row(make_prediction: Callable[..., Prediction]) -> dict:
    make_prediction(key="exported")
    (line,) = [line for line in "".join(stream_export("jsonl")).splitlines() if line]
    Prediction.objects.all().delete()
    Source.objects.all().delete()
    return json.loads(line)


def test_a_nul_in_an_export_row_is_refused_naming_the_row(tmp_path: Path, export_row: dict) -> None:
    export_row["claim"] = "a\x00b"
    path = write(tmp_path, json.dumps(export_row) + "\n", "rows.jsonl")
    assert problems_of(path) == [
        'row 1 (key "exported"): claim: contains a NUL character (\\x00), which the database cannot store'
    ]


def test_a_duplicate_key_in_an_export_row_is_refused(tmp_path: Path, export_row: dict) -> None:
    text = json.dumps(export_row)[:-1] + ', "claim": "again"}\n'
    assert problems_of(write(tmp_path, text, "rows.jsonl")) == ["row 1: key 'claim' appears twice"]


def test_a_deeply_nested_export_row_is_refused(tmp_path: Path) -> None:
    text = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    assert problems_of(write(tmp_path, text, "rows.jsonl")) == ["row 1: nested too deeply"]


def test_a_csv_with_a_column_twice_is_refused(tmp_path: Path, export_row: dict) -> None:
    header = ",".join([*export_row, "claim"])
    (problem,) = problems_of(write(tmp_path, header + "\n", "rows.csv"))
    assert problem == "file: header: column(s) given twice claim"


def test_an_export_until_the_last_day_of_the_calendar_is_everything(admin_client: Client, export_row) -> None:
    response = admin_client.get("/export/resolutions.csv?until=9999-12-31&since=0001-01-01")
    assert response.status_code == 200
