"""A history file read back: the same event twice is written once, and a badly broken file
prints a bounded report."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from predictions.decisions import Actor, resolve
from predictions.export_stream import stream_export
from predictions.exporting import ExportFilters
from predictions.importing.base import MAX_PROBLEMS
from predictions.models import Event, Outcome, Status
from tests.support import empty_the_database

pytestmark = pytest.mark.django_db


def test_the_same_event_twice_in_one_file_is_written_once(make_prediction, tmp_path: Path) -> None:
    p = make_prediction(status=Status.DUE)
    resolve(p, outcome=Outcome.HELD_UP, note="Yes.", actor=Actor(user=None, name="alice"))
    rows = [json.loads(line) for line in "".join(stream_export("jsonl", ExportFilters())).splitlines()]
    [event_row] = [r for r in rows if r["event"]]
    empty_the_database()
    path = tmp_path / "twice.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [*rows, event_row]), encoding="utf-8")
    out = StringIO()
    call_command("import_predictions", str(path), stdout=out, stderr=StringIO())
    assert Event.objects.count() == 1
    assert "events: 1 added, 1 already present" in out.getvalue()


def test_a_file_with_many_bad_rows_prints_the_first_hundred_and_a_count(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text("not json\n" * (MAX_PROBLEMS + 50), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_predictions", str(path), stdout=StringIO(), stderr=err)
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    assert sum("not valid JSON" in line for line in lines) == MAX_PROBLEMS == 100
    assert any("... and 50 more problem(s)" in line for line in lines)
