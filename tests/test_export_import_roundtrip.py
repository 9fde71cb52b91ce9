"""Export -> import -> export: an instance can be moved, merged or restored (issue 6)."""

from __future__ import annotations

import re
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count

from predictions.decisions import Actor, reopen, resolve
from predictions.export_schema import EXPORT_FIELDS, EXPORT_SCHEMA_VERSION
from predictions.export_stream import stream_export
from predictions.importing import import_path
from predictions.models import Event, Prediction, Source, Speaker, Status
from predictions.notifications import pending_digest
from tests.support import empty_the_database, export_text, failing_import, review_at, rows_of, write_jsonl

pytestmark = pytest.mark.django_db

STATE = ("status", "outcome", "unresolvable_reason", "review_after", "flagged_at", "resolved_at", "known_on")


def without_ids(fmt: str, text: str) -> list[dict]:
    return [row.model_dump(exclude={"prediction_id"}) for row in rows_of(fmt, text)]


def states() -> dict[tuple[str, str], tuple]:
    return {
        (p["source__slug"], p["key"]): tuple(p[f] for f in STATE)
        for p in Prediction.objects.values("source__slug", "key", *STATE)
    }


def counts() -> list[dict]:
    """The numbers a scorecard is made of: predictions by status, outcome, speaker and horizon."""
    return list(
        Prediction.objects.values("status", "outcome", "speaker__slug", "horizon")
        .annotate(n=Count("id"))
        .order_by("status", "outcome", "speaker__slug", "horizon")
    )


def scorecard(client) -> str:
    """The public scorecard page, with links to predictions by database id made neutral.

    The filter menus' options are left out: they list every speaker and source, also those
    with no prediction (the seed names the host and both guests, one of them said
    something). Those carry no prediction and no history, so an export has no row for
    them. So is the "Stances taken" section: a history export carries each prediction's
    own fields, not the stances others took on it (those come with the prediction file).
    Topic links are compared: the export carries each prediction's topics (version 4).
    Every other number on the page is still compared.
    """
    html = client.get("/scorecard/").content.decode()
    html = re.sub(r'<option value="[^"]*"( selected)?>[^<]*</option>', "", html)
    html = re.sub(r'<section aria-labelledby="stances-h">.*?</section>', "", html, flags=re.S)
    return re.sub(r"/predictions/\d+/", "/predictions/ID/", html)


def import_file(path: Path) -> str:
    out = StringIO()
    call_command("import_predictions", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_then_import_into_an_empty_database_then_export_gives_the_same_rows_and_numbers(
    decided, client, tmp_path, fmt
):
    first = export_text(fmt)
    before = (states(), counts(), scorecard(client))
    assert len(rows_of(fmt, first)) == 14 + 8 + 1 + (38 - 14 - 1)  # flags, decisions, deferral, no history

    empty_the_database()
    assert (Prediction.objects.count(), Event.objects.count(), Speaker.objects.count()) == (0, 0, 0)
    path = tmp_path / f"history.{fmt}"
    path.write_text(first, encoding="utf-8")
    out = import_file(path)

    assert "predictions: 38 created" in out
    assert "events: 23 added, 0 already present; 15 prediction status(es) set from their history" in out
    second = export_text(fmt)
    assert without_ids(fmt, second) == without_ids(fmt, first)
    assert (states(), counts(), scorecard(client)) == before
    # Byte for byte, once the database ids (the second column) are taken out.
    assert EXPORT_FIELDS[:2] == ("schema_version", "prediction_id")
    pattern = rf"^{EXPORT_SCHEMA_VERSION},\d+," if fmt == "csv" else r'"prediction_id":\d+,'
    assert re.sub(pattern, "", first, flags=re.M) == re.sub(pattern, "", second, flags=re.M)


def test_the_scorecard_numbers_are_really_compared(decided, client):
    # Guard for the round trip above: the page does change when an outcome does.
    before = scorecard(client)
    prediction = Prediction.objects.filter(status=Status.DUE).first()
    resolve(prediction, outcome="held_up", note="Yes.", actor=Actor.of(decided["alice"]), at=review_at(2, 1))
    assert scorecard(client) != before


def test_reviewers_without_an_account_here_are_kept_by_name(decided, tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text(export_text("jsonl"), encoding="utf-8")
    empty_the_database()
    decided["dora"].delete()  # possible now that none of her history rows remain
    import_file(path)
    by_dora = Event.objects.filter(actor_name="dora")
    assert sorted(by_dora.values_list("note", flat=True)) == ["Half of it.", "On second look, no."]
    assert set(by_dora.values_list("actor", flat=True)) == {None}
    assert set(Event.objects.filter(actor_name="alice").values_list("actor", flat=True)) == {
        decided["alice"].pk
    }
    assert set(Event.objects.filter(actor_name="scheduler").values_list("actor", flat=True)) == {None}


def test_importing_the_same_export_twice_changes_nothing(decided, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(export_text("csv"), encoding="utf-8")
    predictions = list(Prediction.objects.order_by("pk").values())
    events = list(Event.objects.order_by("pk").values())
    for _ in range(2):
        out = import_file(path)
        assert "predictions: 0 created, 0 updated, 38 unchanged" in out
        assert "events: 0 added, 23 already present; 0 prediction status(es)" in out
    assert list(Prediction.objects.order_by("pk").values()) == predictions
    assert list(Event.objects.order_by("pk").values()) == events


def test_an_older_export_merged_back_never_undoes_a_later_decision(decided, tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text(export_text("jsonl"), encoding="utf-8")
    later = Prediction.objects.get(outcome="held_up", events__note="=1+1 happened")
    reopen(later, note="New evidence.", actor=Actor.of(decided["alice"]), at=review_at(3, 1))
    import_file(path)
    later.refresh_from_db()
    assert (later.status, later.outcome, later.events.count()) == (Status.DUE, "", 3)


def test_a_partial_export_adds_its_history_to_another_instance(decided, tmp_path):
    """Merge: an instance with the same predictions but no decisions takes the history in."""
    path = tmp_path / "january.csv"
    path.write_text(export_text("csv", since=date(2027, 1, 5)), encoding="utf-8")
    expected = states()
    empty_the_database()
    import_path(Path(__file__).resolve().parent.parent / "fixtures" / "state-of-ai-2026.yaml")
    out = import_file(path)
    assert "predictions: 0 created, 0 updated, 7 unchanged" in out  # only those decided since 5 Jan
    assert "events: 9 added" in out
    resolved = {k: v for k, v in states().items() if v[0] == Status.RESOLVED}
    assert resolved == {k: v[:4] + (None, *v[5:]) for k, v in expected.items() if v[0] == Status.RESOLVED}


def test_restored_flags_are_not_announced_again(decided, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(export_text("csv"), encoding="utf-8")
    due = set(Prediction.objects.filter(status=Status.DUE).values_list("source__slug", "key"))
    assert len(due) == 9  # 8 flagged and never decided, 1 reopened
    empty_the_database()
    import_file(path)
    waiting = Prediction.objects.filter(status=Status.DUE)
    assert set(waiting.values_list("source__slug", "key")) == due
    assert list(pending_digest()) == []


def test_a_public_export_imports_with_reviewers_as_reviewer(decided, tmp_path):
    path = tmp_path / "public.jsonl"
    path.write_text("".join(stream_export("jsonl", public=True)), encoding="utf-8")
    empty_the_database()
    import_file(path)
    assert set(Event.objects.values_list("actor_name", flat=True)) == {"scheduler", "reviewer"}


def test_a_public_export_merged_back_into_its_own_instance_adds_no_history(decided, tmp_path):
    # Its events name "reviewer" where this instance has "alice" or "dora": they are the same
    # events all the same, and a duplicate could never be removed from the append-only history.
    path = tmp_path / "public.jsonl"
    path.write_text("".join(stream_export("jsonl", public=True)), encoding="utf-8")
    events = list(Event.objects.order_by("pk").values())
    out = import_file(path)
    assert "events: 0 added, 23 already present" in out
    assert list(Event.objects.order_by("pk").values()) == events


# --- Bad export files: every problem named by row and field, nothing written -----------


@pytest.mark.parametrize(
    ("row", "changes", "expected"),
    [
        (9, {"at": "yesterday"}, 'row 10 (key "{key}"): at: Input should be a valid datetime'),
        (9, {"at": "2027-01-05T09:30:00"}, 'row 10 (key "{key}"): at: Input should have timezone info'),
        (9, {"event": "approved"}, 'row 10 (key "{key}"): event: Input should be'),
        (
            14,
            {"to_outcome": ""},
            'row 15 (key "{key}"): to_outcome is set exactly when to_status is resolved',
        ),
        (9, {"schema_version": 5}, 'row 10 (key "{key}"): schema_version: Input should be 1, 2, 3 or 4'),
        (
            9,
            {"evidence": ["not a link with spaces"]},
            'row 10 (key "{key}"): evidence.0: String should match',
        ),
        (37, {"note": "left over"}, 'row 38 (key "{key}"): a row without an event has note set'),
        (9, {"colour": "red"}, 'row 10 (key "{key}"): colour: Extra inputs are not permitted'),
        (9, {"actor": "x" * 151}, 'row 10 (key "{key}"): actor: String should have at most 150 characters'),
    ],
)
def test_a_bad_row_is_named_with_its_field_and_nothing_is_written(exported, tmp_path, row, changes, expected):
    exported[row].update(changes)
    err = failing_import(write_jsonl(tmp_path, exported))
    assert expected.format(key=exported[row]["key"]) in err
    assert (Prediction.objects.count(), Event.objects.count(), Source.objects.count()) == (0, 0, 0)


def test_rows_that_disagree_about_their_prediction_are_named(exported, tmp_path):
    first = next(i for i, r in enumerate(exported) if r["key"] == exported[14]["key"])
    exported[14]["claim"] = "Something else."
    err = failing_import(write_jsonl(tmp_path, exported))
    assert (
        f"row 15 (key \"{exported[14]['key']}\"): claim: 'Something else.' differs from row {first + 1}"
        in err
    )


def test_a_line_that_is_not_json_is_named(exported, tmp_path):
    path = write_jsonl(tmp_path, exported)
    path.write_text(path.read_text() + "{not json\n")
    assert f"row {len(exported) + 1}: not valid JSON" in failing_import(path)


def test_a_csv_with_missing_or_unknown_columns_is_refused(decided, tmp_path):
    text = export_text("csv").replace("speaker_name", "speaker_nom", 1)
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    assert "file: header: missing column(s) speaker_name; unknown column(s) speaker_nom" in failing_import(
        path
    )


def test_a_short_csv_row_is_named(decided, tmp_path):
    lines = export_text("csv").split("\r\n")
    lines[3] = "1,2,3"
    path = tmp_path / "bad.csv"
    path.write_text("\r\n".join(lines), encoding="utf-8")
    assert "row 3: has 3 cells, the header has 38" in failing_import(path)


def test_a_byte_order_mark_from_a_spreadsheet_is_not_read_as_part_of_the_header(exported, tmp_path):
    # Excel writes UTF-8 with a BOM; it must not become part of the first column's name.
    text = "".join(stream_export("csv", rows=[]))
    path = tmp_path / "bom.csv"
    path.write_text("\ufeff" + text, encoding="utf-8")
    assert "file: no rows" in failing_import(path)


def test_a_csv_the_csv_reader_cannot_read_is_named_not_a_traceback(decided, tmp_path):
    text = export_text("csv") + '1,"' + "x" * 200_000 + '"\r\n'
    path = tmp_path / "huge.csv"
    path.write_text(text, encoding="utf-8")
    assert "row 47: not readable as CSV (field larger than field limit" in failing_import(path)
