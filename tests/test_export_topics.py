"""Topics in the history export (schema v4, issue 22): the slugs and names each row carries
on both paths, byte for byte with awkward slugs and names; the CSV-injection rule on the
cell; an import restoring them, idempotent, a changed set an "edited" history row; files
before version 4 leaving topics as they are; bad topic cells named with row and field."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from predictions import export_sql, export_sql_jsonl
from predictions.export_stream import stream_export
from predictions.exporting import ExportFilters, event_rows
from predictions.importing import import_path
from predictions.models import Event, EventKind, Prediction, Source, Status, Topic
from tests.support import empty_the_database, export_text, failing_import, history_event, write_jsonl

pytestmark = pytest.mark.django_db

# Slugs whose code point order is not a locale's ("-" < digits < "_" < letters), one
# starting with "-" (a cell a spreadsheet would run), and names with what CSV and JSON
# must carry exactly.
AWKWARD = {
    "ab": "Plain",
    "a_b": 'Quote " and, comma',
    "a-b": "Line\nbreak and \\ backslash",
    "-dash": "=SUM(1)",
    "0zero": "Ünïcode ✓ and \u2028 separator",
    "z": "Tab\there",
}


@pytest.fixture
def tagged(make_prediction: Any) -> dict[str, Prediction]:
    """Four predictions: all awkward topics (with history), one topic (without), none (with
    history), two topics (without)."""
    topics = {slug: Topic.objects.create(slug=slug, name=name) for slug, name in AWKWARD.items()}
    made = {key: make_prediction(key=key) for key in ("all", "one", "none", "two")}
    made["all"].topics.set(topics.values())
    made["one"].topics.set([topics["z"]])
    made["two"].topics.set([topics["ab"], topics["-dash"]])
    for key in ("all", "none"):
        history_event(
            made[key],
            EventKind.FLAGGED,
            datetime(2027, 1, 1, tzinfo=UTC),
            actor_name="scheduler",
            to_status=Status.DUE,
        )
    return made


def orm_text(fmt: str, public: bool = False) -> str:
    filters = ExportFilters()
    return "".join(stream_export(fmt, filters, public=public, rows=event_rows(filters)))


def csv_rows(text: str) -> dict[str, dict[str, str]]:
    return {row["key"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}


def jsonl_rows(text: str) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in map(json.loads, text.split("\n")[:-1])}


def test_a_csv_row_carries_its_topics_sorted_by_code_point_and_the_names_in_that_order(tagged) -> None:
    rows = csv_rows(export_text("csv"))
    # Worked by hand: "-" (45) < "0" (48) < "_" (95) < "b" (98) < "z"; one quote before "-".
    assert rows["all"]["topics"] == "'-dash 0zero a-b a_b ab z"
    assert json.loads(rows["all"]["topic_names"]) == [
        AWKWARD[s] for s in ("-dash", "0zero", "a-b", "a_b", "ab", "z")
    ]
    assert (rows["one"]["topics"], rows["one"]["topic_names"]) == ("z", '["Tab\\there"]')
    assert (rows["none"]["topics"], rows["none"]["topic_names"]) == ("", "")
    assert rows["two"]["topics"] == "'-dash ab"


def test_a_jsonl_row_carries_its_topics_as_lists(tagged) -> None:
    rows = jsonl_rows(export_text("jsonl"))
    assert rows["all"]["topics"] == ["-dash", "0zero", "a-b", "a_b", "ab", "z"]
    assert rows["all"]["topic_names"][2] == "Line\nbreak and \\ backslash"
    assert (rows["none"]["topics"], rows["none"]["topic_names"]) == ([], [])
    assert (rows["two"]["topics"], rows["two"]["topic_names"]) == (["-dash", "ab"], ["=SUM(1)", "Plain"])


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("public", [False, True])
def test_both_paths_write_the_same_topic_bytes(tagged, fmt: str, public: bool) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    orm = orm_text(fmt, public)
    assert "0zero" in orm and "Ünïcode" in orm  # the topics are there to compare
    assert "".join(stream_export(fmt, ExportFilters(), public=public)) == orm


def test_the_copy_path_sorts_by_code_point_whatever_the_databases_collation() -> None:
    # A test database made as C.UTF-8 sorts "-" before letters anyway; en_US would not
    # (it ignores punctuation), and the two paths would differ there.
    for sql, _ in [
        *export_sql.copy_selects(ExportFilters(), False),
        *export_sql_jsonl.jsonl_selects(ExportFilters(), False),
    ]:
        assert sql.count("GROUP BY export_link.prediction_id") == 1
        assert sql.count('ORDER BY export_topic.slug COLLATE "C")') == 2  # the slugs and the names


def test_a_topic_filter_exports_a_predictions_every_topic(tagged) -> None:
    rows = csv_rows(export_text("csv", topic="z"))
    assert set(rows) == {"all", "one"}
    assert rows["all"]["topics"] == "'-dash 0zero a-b a_b ab z"


# --- reading it back ---------------------------------------------------------------------


def topics_by_key() -> dict[str, list[tuple[str, str]]]:
    return {
        p.key: sorted(p.topics.values_list("slug", "name"))
        for p in Prediction.objects.prefetch_related("topics")
    }


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_restores_the_topics_into_an_empty_database_and_a_second_import_changes_nothing(
    tagged, tmp_path: Path, fmt: str
) -> None:
    before = topics_by_key()
    assert len(before["all"]) == len(AWKWARD)
    path = tmp_path / f"history.{fmt}"
    path.write_text(export_text(fmt), encoding="utf-8")
    empty_the_database()
    result = import_path(path)
    assert result.created["topics"] == len(AWKWARD)
    assert topics_by_key() == before
    events = Event.objects.count()
    again = import_path(path)
    assert (again.created["topics"], again.updated["topics"], again.unchanged["topics"]) == (
        0,
        0,
        len(AWKWARD),
    )
    assert (again.updated["predictions"], again.edited) == (0, [])
    assert Event.objects.count() == events
    assert topics_by_key() == before


def test_a_prediction_whose_topics_differ_from_the_file_takes_the_files_with_an_edited_row(
    tagged, tmp_path: Path
) -> None:
    path = write_text(tmp_path, export_text("jsonl"))
    tagged["two"].topics.set([Topic.objects.get(slug="z")])
    result = import_path(path)
    assert result.edited == ["test-podcast/two: topics"]
    assert result.updated["predictions"] == 1
    assert sorted(tagged["two"].topics.values_list("slug", flat=True)) == ["-dash", "ab"]
    edited = Event.objects.get(prediction=tagged["two"], kind=EventKind.EDITED)
    assert edited.note == "Changed by an import: topics: “z” → “-dash, ab”."


def test_a_stored_topic_is_renamed_to_the_files_name_as_a_speaker_is(tagged, tmp_path: Path) -> None:
    path = write_text(tmp_path, export_text("csv"), "history.csv")
    Topic.objects.filter(slug="ab").update(name="Renamed here")
    result = import_path(path)
    assert (result.updated["topics"], Topic.objects.get(slug="ab").name) == (1, "Plain")


def write_text(tmp_path: Path, text: str, name: str = "history.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def as_version_3(text: str) -> list[dict[str, Any]]:
    rows = []
    for row in map(json.loads, text.split("\n")[:-1]):
        del row["topics"], row["topic_names"]
        rows.append(row | {"schema_version": 3})
    return rows


def test_a_version_3_file_imports_and_leaves_the_topics_as_they_are(tagged, tmp_path: Path) -> None:
    rows = as_version_3(export_text("jsonl"))
    before = topics_by_key()
    tagged["one"].topics.clear()  # the file says nothing about it: it stays without
    result = import_path(write_jsonl(tmp_path, rows))
    assert (result.edited, result.updated["predictions"]) == ([], 0)
    assert topics_by_key() == before | {"one": []}
    empty_the_database()
    import_path(write_jsonl(tmp_path, rows))
    assert Prediction.objects.count() == len(tagged) and Topic.objects.count() == 0


def test_a_version_3_csv_without_the_topic_columns_imports(tagged, tmp_path: Path) -> None:
    reader = csv.DictReader(io.StringIO(export_text("csv"), newline=""))
    out = io.StringIO(newline="")
    header = [name for name in reader.fieldnames or [] if name not in ("topics", "topic_names")]
    writer = csv.DictWriter(out, header, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in reader:
        writer.writerow(row | {"schema_version": "3"})
    empty_the_database()
    result = import_path(write_text(tmp_path, out.getvalue(), "old.csv"))
    assert result.created["predictions"] == len(tagged) and Topic.objects.count() == 0


@pytest.fixture
def exported(tagged) -> list[dict[str, Any]]:
    rows = list(map(json.loads, export_text("jsonl").split("\n")[:-1]))
    empty_the_database()
    return rows


def row_of(rows: list[dict[str, Any]], key: str) -> tuple[int, dict[str, Any]]:
    return next((i, row) for i, row in enumerate(rows) if row["key"] == key)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"topics": "Open Models", "topic_names": ["A", "B"]}, "topics.0: String should match pattern"),
        ({"topics": ["z", "z"], "topic_names": ["Z", "Z"]}, "topics: z given twice"),
        ({"topics": ["z"], "topic_names": []}, "topic_names: 0 name(s) for 1 topic(s) in `topics`"),
        ({"topic_names": "not json"}, "topic_names: not a JSON list of the topics' names"),
        ({"topic_names": [""]}, "topic_names.0: String should have at least 1 character"),
        (
            {"topics": ["x" * 101], "topic_names": ["X"]},
            "topics.0: String should have at most 100 characters",
        ),
        ({"schema_version": 3}, "topics: came with version 4; write that as the schema_version"),
        ({"topics": None}, "topics: a version-4 row has it (empty for no topics)"),
    ],
)
def test_a_bad_topics_cell_is_named_with_its_row_and_field_and_nothing_is_written(
    exported, tmp_path: Path, changes: dict[str, Any], expected: str
) -> None:
    i, row = row_of(exported, "one")
    row.update(changes)
    if row["topics"] is None:
        del row["topics"]
    err = failing_import(write_jsonl(tmp_path, exported))
    assert f'row {i + 1} (key "one"): {expected}' in err
    assert (Prediction.objects.count(), Topic.objects.count(), Source.objects.count()) == (0, 0, 0)


def test_a_bad_topics_cell_in_a_csv_is_named_too(tagged, tmp_path: Path) -> None:
    text = export_text("csv").replace("'-dash ab", "'-dash Ab", 1)
    empty_the_database()
    err = failing_import(write_text(tmp_path, text, "bad.csv"))
    assert 'row 4 (key "two"): topics.1: String should match pattern' in err


def test_rows_that_disagree_about_a_predictions_topics_are_named(exported, tmp_path: Path) -> None:
    rows = [r for r in exported if r["key"] == "all"]
    assert len(rows) == 1  # one event: give it a second row that disagrees
    second = rows[0] | {"event": None, "at": None, "actor": "", "from_status": "", "to_status": ""}
    second |= {"topics": ["z"], "topic_names": ["Tab\there"]}
    err = failing_import(write_jsonl(tmp_path, [*exported, second]))
    assert f'row {len(exported) + 1} (key "all"): topics: ' in err and "differs from row 1" in err


def test_a_topic_named_differently_by_two_rows_is_named(exported, tmp_path: Path) -> None:
    i, row = row_of(exported, "one")
    row["topic_names"] = ["Another name"]
    err = failing_import(write_jsonl(tmp_path, exported))
    assert f'row {i + 1} (key "one"): topic_names (z): differs from row' in err


def test_a_name_that_is_another_stored_topics_is_refused(exported, tmp_path: Path) -> None:
    Topic.objects.create(slug="plain-elsewhere", name="plain")  # names are one topic whatever their case
    err = failing_import(write_jsonl(tmp_path, exported))
    assert "topic_names: 'Plain' is already the topic 'plain-elsewhere'" in err
    assert Topic.objects.count() == 1


def test_two_topics_swapping_names_are_refused_and_nothing_is_written(tagged, tmp_path: Path) -> None:
    """Names are unique: a file that gives "ab" the name "z" holds here, and "z" the name
    "ab" holds, would have each rename wait on the other. Refused by name, nothing written
    (it used to fail on the unique constraint half-way through)."""
    rows = list(map(json.loads, export_text("jsonl").split("\n")[:-1]))
    swapped = {"Plain": "Tab\there", "Tab\there": "Plain"}
    for row in rows:
        row["topic_names"] = [swapped.get(name, name) for name in row["topic_names"]]
    before = (Event.objects.count(), dict(Topic.objects.values_list("slug", "name")))
    err = failing_import(write_jsonl(tmp_path, rows))
    assert "topic_names: 'Tab\\there' is the name of the topic 'z' until this file renames it" in err
    assert "topic_names: 'Plain' is the name of the topic 'ab' until this file renames it" in err
    assert (Event.objects.count(), dict(Topic.objects.values_list("slug", "name"))) == before
