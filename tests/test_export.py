"""The resolution history downloads, their command and the admin action (issue 6)."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from predictions.actors import SCHEDULER
from predictions.decisions import Actor, defer, resolve
from predictions.export_schema import EXPORT_FIELDS, ExportRow, export_json_schema
from predictions.export_stream import stream_export
from predictions.exporting import ExportFilters
from predictions.models import Event, EventKind, Horizon, Prediction, Source, Status
from predictions.tasks import flag_one
from tests.support import rows_of

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2027, 1, day, hour, tzinfo=UTC)


def body(response: StreamingHttpResponse) -> str:
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def history(reviewer, speaker, source, make_prediction) -> dict[str, Prediction]:
    """Four predictions with a hand-made history, events deliberately created out of time order.

    called: Ada's, flagged on 2 January, resolved held up by alice on 5 January.
    panel:  unattributed, medium term, deferred by alice on 3 January until 2027-06-01.
    quiet:  unattributed, long term, no history at all.
    other:  Ada's, in another source, flagged on 1 January.
    """
    elsewhere = Source.objects.create(
        title="An article", slug="article", kind="article", published_on=date(2026, 2, 1)
    )
    called = make_prediction(speaker=speaker, claim="Agents will write most code.", probability="0.700")
    panel = make_prediction(horizon=Horizon.MEDIUM, due_on=date(2029, 1, 31))
    quiet = make_prediction(horizon=Horizon.LONG, due_on=date(2046, 1, 31))
    other = make_prediction(source=elsewhere, speaker=speaker, stated_on=date(2026, 2, 1))
    alice = Actor.of(reviewer)
    resolve_at = at(5)
    flag_one(called.pk, date(2027, 1, 2), at=at(2), note="Due on 2026-12-31.")
    called.refresh_from_db()
    resolve(
        called,
        outcome="held_up",
        note="It happened.",
        evidence=["https://example.org/a", "https://example.org/b"],
        actor=alice,
        at=resolve_at,
    )
    defer(panel, until=date(2027, 6, 1), note="Too early to tell.", actor=alice, at=at(3))
    flag_one(other.pk, date(2027, 1, 1), at=at(1))
    return {"called": called, "panel": panel, "quiet": quiet, "other": other}


def export(fmt: str = "csv", **filters: object) -> list[ExportRow]:
    return rows_of(fmt, "".join(stream_export(fmt, ExportFilters(**filters))))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_every_row_parses_back_oldest_first_with_the_prediction_without_history_last(history, fmt):
    rows = export(fmt)
    assert [(r.key, r.event) for r in rows] == [
        ("p4", EventKind.FLAGGED),  # 1 January
        ("p1", EventKind.FLAGGED),  # 2 January
        ("p2", EventKind.DEFERRED),  # 3 January
        ("p1", EventKind.RESOLVED),  # 5 January
        ("p3", None),  # no history yet
    ]
    assert {r.schema_version for r in rows} == {4}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_resolution_row_carries_the_prediction_and_the_decision(history, fmt):
    row = export(fmt)[3]
    assert (row.source, row.key, row.prediction_id) == ("test-podcast", "p1", history["called"].pk)
    assert (row.speaker, row.speaker_name) == ("ada-lovelace", "Ada Lovelace")
    assert (row.horizon, row.stated_on, row.due_on) == (Horizon.NEAR, date(2026, 1, 31), date(2026, 12, 31))
    assert str(row.probability) == "0.700"
    assert (row.from_status, row.to_status) == (Status.DUE, Status.RESOLVED)
    assert (row.from_outcome, row.to_outcome) == ("", "held_up")
    assert (row.at, row.actor, row.note) == (at(5), "alice", "It happened.")
    assert row.evidence == ["https://example.org/a", "https://example.org/b"]
    assert (row.source_title, row.source_published_on) == ("Test podcast", date(2026, 1, 31))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_unattributed_and_history_less_rows_are_empty_where_they_should_be(history, fmt):
    panel, quiet = export(fmt)[2], export(fmt)[4]
    assert (panel.speaker, panel.speaker_name) == (None, "")
    assert (panel.review_after, panel.actor) == (date(2027, 6, 1), "alice")
    assert quiet.event is None and quiet.at is None and quiet.actor == "" and quiet.evidence == []
    assert quiet.horizon == Horizon.LONG


def test_csv_and_jsonl_carry_the_same_rows(history):
    assert export("csv") == export("jsonl")


def test_the_scheduler_is_named_as_such(history):
    flags = [r for r in export() if r.event == EventKind.FLAGGED]
    assert {r.actor for r in flags} == {SCHEDULER.name}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"speaker": "ada-lovelace"}, [("p4", "flagged"), ("p1", "flagged"), ("p1", "resolved")]),
        ({"speaker": "unattributed"}, [("p2", "deferred"), ("p3", None)]),
        ({"source": "article"}, [("p4", "flagged")]),
        ({"horizon": "long"}, [("p3", None)]),
        ({"horizon": "near", "source": "test-podcast"}, [("p1", "flagged"), ("p1", "resolved")]),
        # A date range selects events; a prediction without history has no date to match.
        ({"since": "2027-01-02", "until": "2027-01-03"}, [("p1", "flagged"), ("p2", "deferred")]),
        ({"since": "2027-01-04"}, [("p1", "resolved")]),
        # One day is a range too: since and until the same date is that day's events.
        ({"since": "2027-01-03", "until": "2027-01-03"}, [("p2", "deferred")]),
        ({"until": "2027-01-01"}, [("p4", "flagged")]),
    ],
)
def test_downloads_filter_by_speaker_source_horizon_and_dates(client, staff, history, filters, expected):
    client.force_login(staff)
    response = client.get("/export/resolutions.jsonl", filters)
    assert response.status_code == 200
    assert [(r.key, r.event) for r in rows_of("jsonl", body(response))] == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/export/resolutions.xml", "format: unknown format 'xml'; use one of csv, jsonl."),
        (
            "/export/resolutions.csv?since=2027-13-01",
            "since: '2027-13-01' is not a date; write it as YYYY-MM-DD.",
        ),
        ("/export/resolutions.csv?until=yesterday", "until: 'yesterday' is not a date"),
        (
            "/export/resolutions.csv?speaker=nobody",
            "speaker: no speaker with slug 'nobody' (or use 'unattributed').",
        ),
        ("/export/resolutions.csv?source=nowhere", "source: no source with slug 'nowhere'."),
        (
            "/export/resolutions.csv?horizon=someday",
            "horizon: unknown horizon 'someday'; use one of near, medium, long.",
        ),
        (
            "/export/resolutions.csv?speakr=ada-lovelace",
            "speakr: unknown filter; the filters are speaker, source,",
        ),
        (
            "/export/resolutions.csv?since=2027-02-01&until=2027-01-01",
            "since: 2027-02-01 is after until 2027-01-01.",
        ),
        (
            "/export/resolutions.csv?horizon=near&horizon=long",
            "horizon: given 2 times; a filter takes one value.",
        ),
    ],
)
def test_bad_format_dates_and_filter_values_are_a_clear_400(client, staff, history, url, message):
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_download_is_streamed_as_an_attachment(client, staff, history):
    client.force_login(staff)
    response = client.get("/export/resolutions.csv")
    assert isinstance(response, StreamingHttpResponse)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="resolutions.csv"'
    assert "no-store" in response["Cache-Control"]
    jsonl = client.get("/export/resolutions.jsonl")
    assert isinstance(jsonl, StreamingHttpResponse)
    assert jsonl["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert len(rows_of("jsonl", body(jsonl))) == 5


def test_the_stream_comes_in_chunks_not_one_string(history):
    chunks = list(stream_export("jsonl", ExportFilters(), chunk_size=2))
    assert len(chunks) == 3  # 2 + 2 + 1 rows
    assert [c.count("\n") for c in chunks] == [2, 2, 1]


def test_the_number_of_queries_does_not_grow_with_the_rows(history, make_prediction):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            "".join(stream_export("csv", ExportFilters()))
        return len(ctx.captured_queries)

    before = queries()
    for _ in range(20):
        prediction = make_prediction()
        flag_one(prediction.pk, date(2027, 1, 1), at=at(6))
        make_prediction()  # and one without history
    assert len(export()) == 5 + 40
    assert queries() == before


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, history, fmt):
    response = client.get(f"/export/resolutions.{fmt}?horizon=near")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next=/export/resolutions.{fmt}%3Fhorizon%3Dnear"


def test_a_logged_in_user_who_is_not_staff_is_refused(client, history):
    client.force_login(User.objects.create_user("carol", password="password"))
    assert client.get("/export/resolutions.csv").status_code == 403


@pytest.mark.parametrize("person", ["staff", "reviewer"])
def test_staff_get_the_reviewers_user_names(client, history, person, request):
    client.force_login(request.getfixturevalue(person))
    actors = [r.actor for r in rows_of("csv", body(client.get("/export/resolutions.csv")))]
    assert actors == ["scheduler", "scheduler", "alice", "alice", ""]


def test_with_public_export_anonymous_visitors_get_it_without_user_names(client, history, settings):
    settings.PUBLIC_EXPORT = True
    for fmt in ("csv", "jsonl"):
        response = client.get(f"/export/resolutions.{fmt}")
        assert response.status_code == 200
        text = body(response)
        assert "alice" not in text
        assert [r.actor for r in rows_of(fmt, text)] == ["scheduler", "scheduler", "reviewer", "reviewer", ""]
        assert "no-store" not in response.get("Cache-Control", "")


def test_with_public_export_staff_still_see_names(client, staff, history, settings):
    settings.PUBLIC_EXPORT = True
    client.force_login(staff)
    assert "alice" in [r.actor for r in rows_of("csv", body(client.get("/export/resolutions.csv")))]


RISKY = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tTabbed", "\rReturn", "'quoted", "plain"]


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(client, staff, make_prediction, reviewer):
    for i, text in enumerate(RISKY):
        p = make_prediction(claim=text, horizon_as_said=f"{text} said")
        resolve(p, outcome="held_up", note=text, actor=Actor.of(reviewer), at=at(1 + i))
    client.force_login(staff)
    raw = body(client.get("/export/resolutions.csv"))
    cells = list(csv.reader(io.StringIO(raw, newline="")))
    claim, note = EXPORT_FIELDS.index("claim"), EXPORT_FIELDS.index("note")
    for text, row in zip(RISKY, cells[1:], strict=True):
        expected = text if text == "plain" else "'" + text
        assert (row[claim], row[note]) == (expected, expected)
    assert [r.claim for r in rows_of("csv", raw)] == RISKY  # the quote is removed exactly once
    # JSON Lines has no formulas: the text is left as it is.
    assert [r.note for r in rows_of("jsonl", body(client.get("/export/resolutions.jsonl")))] == RISKY


def test_the_json_schema_is_published_for_everyone(client):
    response = client.get("/export/schema.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema == json.loads(json.dumps(export_json_schema()))
    assert list(schema["properties"]) == list(EXPORT_FIELDS)
    assert schema["properties"]["schema_version"]["enum"] == [1, 2, 3, 4]
    assert client.head("/export/schema.json").status_code == 200
    assert client.post("/export/schema.json").status_code == 405
    assert "has no history yet still gets exactly one row" in schema["description"]


def test_the_command_prints_the_same_schema():
    out = StringIO()
    call_command("export_resolutions", "--schema", stdout=out)
    assert json.loads(out.getvalue()) == json.loads(json.dumps(export_json_schema()))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_command_writes_a_file_that_parses_back(history, tmp_path, fmt):
    target = tmp_path / f"out.{fmt}"
    err = StringIO()
    call_command(
        "export_resolutions", "--format", fmt, "--output", str(target), stdout=StringIO(), stderr=err
    )
    assert [r.key for r in rows_of(fmt, target.read_text(encoding="utf-8"))] == ["p4", "p1", "p2", "p1", "p3"]
    assert f"Wrote 5 row(s) to {target}." in err.getvalue()


def test_the_command_writes_to_standard_output_with_filters(history):
    out = StringIO()
    call_command(
        "export_resolutions",
        "--format",
        "csv",
        "--since",
        "2027-01-03",
        "--speaker",
        "unattributed",
        stdout=out,
    )
    assert [(r.key, r.event) for r in rows_of("csv", out.getvalue())] == [("p2", "deferred")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv", "--since", "1 May"], "since: '1 May' is not a date; write it as YYYY-MM-DD."),
        (["--format", "csv", "--speaker", "nobody"], "speaker: no speaker with slug 'nobody'"),
        (["--format", "csv", "--horizon", "soon"], "horizon: unknown horizon 'soon'"),
        ([], "--format: give csv or jsonl"),
    ],
)
def test_the_command_refuses_bad_input_clearly(history, tmp_path, args, message):
    target = tmp_path / "never.csv"
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("export_resolutions", *args, "--output", str(target), stdout=StringIO())
    assert not target.exists()


def test_the_command_refuses_an_unknown_format():
    with pytest.raises(CommandError, match="invalid choice: 'xml'"):
        call_command("export_resolutions", "--format", "xml", stdout=StringIO())


def test_the_admin_action_exports_the_selected_predictions_history(client, staff, history):
    client.force_login(staff)
    selected = [history["called"].pk, history["quiet"].pk]
    response = client.post(
        "/admin/predictions/prediction/?status=all",  # the list opens on the review queue
        {"action": "export_history_csv", "_selected_action": selected},
    )
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == 'attachment; filename="prediction-history.csv"'
    rows = rows_of("csv", body(response))
    assert [(r.key, r.event, r.actor) for r in rows] == [
        ("p1", "flagged", "scheduler"),
        ("p1", "resolved", "alice"),
        ("p3", None, ""),
    ]


def test_an_event_counts_once_whatever_the_filters(history):
    # Every event appears in exactly one of the per-speaker downloads.
    ada = export(speaker="ada-lovelace")
    panel = export(speaker="unattributed")
    assert len([r for r in ada + panel if r.event]) == Event.objects.count() == 4


def test_the_stream_of_no_rows_is_a_bare_header_or_nothing():
    # The bench swaps the row source; the same formatting runs on it.
    rows = list(stream_export("jsonl", rows=[]))
    assert rows == []
    header_only = "".join(stream_export("csv", rows=[]))
    assert header_only == ",".join(EXPORT_FIELDS) + "\r\n"


def test_the_file_written_is_utf8_with_non_ascii_text(history, tmp_path):
    Prediction.objects.filter(pk=history["quiet"].pk).update(claim="Žluťoučký kůň — “quoted” \u2028 line")
    target = Path(tmp_path / "out.jsonl")
    call_command(
        "export_resolutions",
        "--format",
        "jsonl",
        "--output",
        str(target),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert (
        rows_of("jsonl", target.read_text(encoding="utf-8"))[-1].claim
        == "Žluťoučký kůň — “quoted” \u2028 line"
    )


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stderr", "shows_bar"), [(Terminal, True), (StringIO, False)])
def test_the_command_shows_a_progress_bar_only_on_a_terminal(
    history, tmp_path, monkeypatch, stderr, shows_bar
):
    err = stderr()
    monkeypatch.setattr("sys.stderr", err)
    call_command(
        "export_resolutions", "--format", "csv", "--output", str(tmp_path / "o.csv"), stdout=StringIO()
    )
    assert ("5/5" in err.getvalue()) is shows_bar  # tqdm's "rows done/total"


@pytest.mark.django_db(transaction=True)
def test_a_real_http_download_arrives_whole_and_chunked(history, live_server, settings):
    # Through a real WSGI server, not the test client: the response is sent as it is made.
    settings.PUBLIC_EXPORT = True
    with urllib.request.urlopen(f"{live_server.url}/export/resolutions.csv?horizon=near") as response:
        assert response.headers["Content-Length"] is None  # streamed: the size is not known up front
        text = response.read().decode()
    assert [(r.key, r.event, r.actor) for r in rows_of("csv", text)] == [
        ("p4", "flagged", "scheduler"),
        ("p1", "flagged", "scheduler"),
        ("p1", "resolved", "reviewer"),
    ]
