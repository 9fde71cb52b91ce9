"""Plain helpers that more than one test module uses. Test modules import from here (or use
the fixtures in conftest.py), never from each other: tests/test_support.py keeps it so."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from predictions.export_schema import EXPORT_FIELDS, ExportRow, csv_uncell
from predictions.export_stream import stream_export
from predictions.exporting import ExportFilters
from predictions.models import (
    ArchivedCopy,
    Attribution,
    Challenge,
    Event,
    Horizon,
    Outcome,
    Prediction,
    PredictionTopic,
    Source,
    Speaker,
    Stance,
    StanceKind,
    Status,
    Subscription,
    Topic,
    UnresolvableReason,
)
from predictions.transitions import TO_STATUS

# --- Exports and imports -----------------------------------------------------------------


def rows_of(fmt: str, text: str) -> list[ExportRow]:
    """Every row of an exported file, parsed through the pydantic row model."""
    if fmt == "csv":
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader)
        assert tuple(header) == EXPORT_FIELDS
        return [
            ExportRow.model_validate({k: csv_uncell(v) for k, v in zip(header, cells, strict=True)})
            for cells in reader
        ]
    # split("\n"), not splitlines(): a claim may hold U+2028, which JSON leaves unescaped.
    return [ExportRow.model_validate_json(line) for line in text.split("\n") if line]


def review_at(month: int, day: int) -> datetime:
    """A moment of 2027's reviewing season (the `decided` fixture's), to the microsecond."""
    return datetime(2027, month, day, 9, 30, 15, 123456, tzinfo=UTC)


def export_text(fmt: str, **filters: object) -> str:
    return "".join(stream_export(fmt, ExportFilters(**filters)))


def empty_the_database() -> None:
    """A fresh instance: no predictions, history, speakers, sources or topics (user accounts stay).

    Test-only and raw on purpose: history rows can be removed by no path of the service.
    PostgreSQL's TRUNCATE is not seen by the row trigger that refuses DELETE; SQLite has no
    DELETE trigger. Both are rolled back with the test's transaction.
    """
    tables = [
        m._meta.db_table
        for m in (
            ArchivedCopy, Challenge, Subscription, Event, Stance, PredictionTopic, Prediction, Topic, Speaker, Source,
        )
    ]  # fmt: skip
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's foreign keys are checked at commit; TRUNCATE refuses to run while such
            # checks are pending, so run them now and defer again afterwards.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


def failing_import(path: Path) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_predictions", str(path), stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def write_jsonl(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# --- The scorecard's pages and data --------------------------------------------------------

# When the scorecard's hand-worked predictions were decided.
AT = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def decided_prediction(make_prediction: Any, outcome: str = "", **fields: object) -> Prediction:
    """A prediction in the state a reviewer's decision leaves it in (no history needed here)."""
    if outcome:
        fields.update(status=Status.RESOLVED, outcome=outcome, resolved_at=AT)
        if outcome == Outcome.UNRESOLVABLE:
            fields["unresolvable_reason"] = UnresolvableReason.TOO_VAGUE
    return make_prediction(**fields)


def cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each body row of a table, header cell first."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table, f"no table #{table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0).split("<tbody", 1)[1], re.S)
    return [
        [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in rows
    ]


def make_many(n: int, source: Source, speakers: list[Speaker]) -> None:
    """n predictions spread over speakers (and the panel), horizons, states, due years and
    attributions, with a stance of the next speaker on every one (agreeing or disputing)."""
    outcomes = [Outcome.HELD_UP, Outcome.PARTIALLY, Outcome.DID_NOT_HOLD_UP, Outcome.UNRESOLVABLE, "", ""]
    rows = []
    for i in range(n):
        outcome = outcomes[i % len(outcomes)]
        rows.append(
            Prediction(
                source=source,
                key=f"bulk-{i}",
                claim=f"Bulk claim {i}",
                speaker=(speaker_of := (speakers + [None])[i % (len(speakers) + 1)]),
                attribution=(
                    (Attribution.INFERRED if i % 3 else Attribution.NAMED)
                    if speaker_of
                    else Attribution.UNATTRIBUTED
                ),
                horizon=Horizon.values[i % 3],
                stated_on=date(2026, 1, 31),
                due_on=date(2026 + i % 120, 12, 31),
                resolution_criteria="It happens.",
                status=Status.RESOLVED if outcome else (Status.DUE if i % 2 else Status.OPEN),
                outcome=outcome,
                unresolvable_reason=UnresolvableReason.OTHER if outcome == Outcome.UNRESOLVABLE else "",
                probability=Decimal("0.7") if i % 5 == 0 else None,
                resolved_at=AT if outcome else None,
            )
        )
    Prediction.objects.bulk_create(rows)
    made = Prediction.objects.filter(source=source, key__startswith="bulk-").values_list("pk", flat=True)
    Stance.objects.bulk_create(
        Stance(
            prediction_id=pk,
            speaker=speakers[i % len(speakers)],
            stance=StanceKind.values[i % 2],
            attribution=Attribution.NAMED if i % 4 else Attribution.INFERRED,
        )
        for i, pk in enumerate(made.order_by("pk"))
    )


# --- PostgreSQL locks ------------------------------------------------------------------------


def wait_for_lock_waiters(count: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return True
            time.sleep(0.02)  # polling another connection's state, not waiting out a clock
    return False


# --- Processes, ports and environments -------------------------------------------------------


def clean_environ(*drop: str) -> dict[str, str]:
    # The browser fixture sets DJANGO_ALLOW_ASYNC_UNSAFE for the session (Playwright's
    # event loop); a server started from here must not inherit it, as the deploy check
    # rightly refuses it (async.E001).
    dropped = {"DJANGO_ALLOW_ASYNC_UNSAFE", *drop}
    return {k: v for k, v in os.environ.items() if k not in dropped}


def process_groups() -> set[int]:
    groups = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The fields after the command name: state, ppid, pgrp, ...
            groups.add(int(stat.read_text().rsplit(")", 1)[1].split()[2]))
        except (OSError, IndexError, ValueError):
            continue
    return groups


def wait_for(predicate: Callable[[], object], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again once the socket is: nothing listens there


def fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


# A small valid import file and how tests write one (test_import, test_import_keeps_edits).
GOOD = {
    "format": "prediction-tracker/predictions/v1",
    "speakers": [{"slug": "ada", "name": "Ada Lovelace"}],
    "sources": [
        {
            "slug": "talk",
            "title": "A talk",
            "kind": "talk",
            "url": "https://example.org/t",
            "published_on": "2026-03-01",
        }
    ],
    "predictions": [
        {
            "key": "one",
            "source": "talk",
            "speaker": "ada",
            "claim": "Engines will compose music.",
            "horizon": "medium",
            "horizon_as_said": "years",
            "resolution_criteria": "Music exists.",
        },
        {
            "key": "two",
            "source": "talk",
            "speaker": None,
            "claim": "It rains this year.",
            "horizon": "near",
            "resolution_criteria": "It rains.",
            "probability": 0.7,
        },
    ],
}


def write(tmp_path: Path, data: object, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if name.endswith(".yaml") else json.dumps(data))
    return path


# Text awkward for CSV and JSON: the exports' byte-for-byte tests fill every column with it.
NASTY = [
    "plain",
    "with, a comma",
    'with "quotes" inside',
    '"',
    "two\nlines",
    "windows\r\nline",
    "bare\rreturn",
    "=SUM(A1:A2)",
    "+1",
    "-1",
    "@home",
    "\tleading tab",
    "\rleading return",
    "'already quoted",
    "trailing space ",
    " leading space",
    "Žluťoučký kůň — “curly” \u2028 separator \u00a0 nbsp 🙂 e\u0301",
    "back\\slash and \\N and \\.",
    ",",
    "a;b|c",
]


def history_event(prediction: Prediction, kind: str, at: datetime, **fields: object) -> Event:
    values: dict[str, object] = {
        "prediction": prediction,
        "kind": kind,
        "at": at,
        "actor_name": "alice",
        "from_status": Status.OPEN,
        "to_status": TO_STATUS.get(kind, Status.OPEN),
    }
    values.update(fields)
    return Event.objects.create(**values)


def children_of(pid: int) -> set[int]:
    """The processes whose parent is `pid`, read from /proc (Linux)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found
