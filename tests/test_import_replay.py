"""A history file read back into a database whose own history has moved on meanwhile: the
merged history is replayed by the transition table's rule (a step changes a prediction
only from the statuses it may be taken from), so a re-import never crashes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from predictions.decisions import Actor, resolve
from predictions.export_stream import stream_export
from predictions.exporting import ExportFilters
from predictions.models import Event, EventKind, Outcome, Prediction, Status
from predictions.recount import differences
from predictions.tasks import flag_due
from predictions.transitions import Step, replay
from tests.support import empty_the_database

pytestmark = pytest.mark.django_db

RESOLVED_AT = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)
FLAGGED_AT = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)


def _file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_text("".join(stream_export("jsonl", ExportFilters())), encoding="utf-8")
    return path


def test_a_history_resolved_elsewhere_imports_cleanly_after_the_daily_job_flagged_it(
    make_prediction, tmp_path: Path
) -> None:
    """The reported crash: the file says resolved on 1 August; here the prediction stayed
    open and the daily job flagged it on 1 September. Replayed, the flag came after the
    outcome, and a flag on a resolved prediction changes nothing (the job's own rule)."""
    p = make_prediction(status=Status.OPEN, due_on=date(2026, 6, 30))
    before = _file(tmp_path, "before.jsonl")
    resolve(p, outcome=Outcome.HELD_UP, note="Yes.", actor=Actor(user=None, name="alice"), at=RESOLVED_AT)
    elsewhere = _file(tmp_path, "elsewhere.jsonl")
    empty_the_database()
    call_command("import_predictions", str(before), stdout=StringIO())
    with time_machine.travel(FLAGGED_AT, tick=False):
        assert flag_due(date(2026, 9, 1)) == 1
    out = StringIO()
    call_command("import_predictions", str(elsewhere), stdout=out, stderr=StringIO())
    [p] = Prediction.objects.all()
    assert (p.status, p.outcome, p.resolved_at, p.flagged_at) == (
        Status.RESOLVED,
        Outcome.HELD_UP,
        RESOLVED_AT,
        None,
    )
    assert sorted(Event.objects.values_list("kind", flat=True)) == [EventKind.FLAGGED, EventKind.RESOLVED]
    assert "events: 1 added" in out.getvalue()
    assert differences() == []
    # Again: already applied, nothing changes.
    out = StringIO()
    call_command("import_predictions", str(elsewhere), stdout=out, stderr=StringIO())
    assert "events: 0 added, 1 already present" in out.getvalue()
    assert Event.objects.count() == 2


def test_a_step_replayed_from_a_status_it_cannot_be_taken_from_changes_nothing() -> None:
    resolved = Step(EventKind.RESOLVED, RESOLVED_AT, outcome=Outcome.HELD_UP)
    for late in (
        Step(EventKind.FLAGGED, FLAGGED_AT),
        Step(EventKind.DEFERRED, FLAGGED_AT, review_after=date(2027, 1, 1)),
    ):
        assert replay([resolved, late]) == replay([resolved]), late.kind
    # From where they may be taken, they still apply.
    assert replay([Step(EventKind.FLAGGED, FLAGGED_AT)])["status"] == Status.DUE
    reopened = replay([resolved, Step(EventKind.REOPENED, FLAGGED_AT)])
    assert (reopened["status"], reopened["outcome"]) == (Status.DUE, "")
