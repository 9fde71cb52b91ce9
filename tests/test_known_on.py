"""When an outcome became known (`known_on`), apart from when it was recorded (`at`): required
by the forms, not after the day it is recorded nor before the source was published, carried
by the history row, the prediction, the page and the export (schema v3); version 1 and 2
files still import, a decision's known_on taken as the day of its `at`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from predictions.decisions import Actor, DecisionError, confirm, dispute, reopen, resolve
from predictions.export_schema import EXPORT_SCHEMA_VERSION
from predictions.models import Event, EventKind, Outcome, Prediction, Status
from predictions.transitions import STATE_FIELDS
from tests.admin_support import change_url, decide_url, resolve_data
from tests.support import empty_the_database, export_text, failing_import, rows_of, write_jsonl

pytestmark = pytest.mark.django_db
ALICE = Actor(user=None, name="alice")
CAROL = Actor(user=None, name="carol")
DAVE = Actor(user=None, name="dave")
AT = datetime(2027, 1, 5, 9, 30, tzinfo=UTC)  # 5 January 2027, in the service's zone too


def import_file(path: Path) -> None:
    call_command("import_predictions", str(path), stdout=StringIO(), stderr=StringIO())


def held_up(p: Prediction, known_on: date | None, **kwargs: Any) -> Event:
    return resolve(
        p, outcome=Outcome.HELD_UP, note="It held.", actor=ALICE, at=AT, known_on=known_on, **kwargs
    )


def test_a_decision_records_when_it_became_known_apart_from_when(make_due: Any) -> None:
    p = make_due()
    event = held_up(p, date(2026, 12, 20))
    assert (event.known_on, event.at) == (date(2026, 12, 20), AT)
    assert (p.known_on, p.resolved_at) == (date(2026, 12, 20), AT)


def test_known_on_after_the_day_it_is_recorded_is_refused(make_due: Any) -> None:
    p = make_due()
    with pytest.raises(DecisionError, match=r"^When it became known cannot be after today \(2027-01-05\)\.$"):
        held_up(p, date(2027, 1, 6))
    p.refresh_from_db()
    assert (p.status, p.events.count()) == (Status.DUE, 0)


def test_known_on_before_the_source_was_published_is_refused_saying_so(make_due: Any) -> None:
    p = make_due()  # the source was published on 31 January 2026
    with pytest.raises(DecisionError, match=r"before the source was published \(2026-01-31\)"):
        held_up(p, date(2026, 1, 30))
    assert held_up(p, date(2026, 1, 31)).known_on == date(2026, 1, 31)  # the day itself is allowed


def test_a_dispute_is_checked_the_same_way(make_due: Any, settings: Any) -> None:
    settings.REVIEW_QUORUM = 2
    p = make_due()
    held_up(p, date(2026, 12, 20))
    with pytest.raises(DecisionError, match="before the source was published"):
        dispute(p, outcome=Outcome.PARTIALLY, note="Half.", actor=CAROL, at=AT, known_on=date(2025, 1, 1))
    assert p.events.count() == 1


def test_without_known_on_python_callers_get_the_day_it_is_recorded(make_due: Any) -> None:
    p = make_due()
    assert resolve(p, outcome=Outcome.HELD_UP, note="It held.", actor=ALICE, at=AT).known_on == date(
        2027, 1, 5
    )


def test_reopening_withdraws_known_on_with_the_outcome(make_due: Any) -> None:
    p = make_due()
    held_up(p, date(2026, 12, 20))
    reopen(p, note="New evidence.", actor=ALICE, at=AT)
    assert (p.outcome, p.known_on, p.resolved_at) == ("", None, None)


# --- the admin form ---------------------------------------------------------------------------


def test_the_admin_form_requires_known_on(alice_client: Client, make_due: Any) -> None:
    p = make_due()
    response = alice_client.post(decide_url(p, "resolve"), resolve_data(p, known_on=""))
    assert response.context["decision"]["forms"]["resolve"].errors["known_on"] == ["This field is required."]
    assert not p.events.exists()


def test_the_admin_form_refuses_a_future_known_on_naming_the_field(
    alice_client: Client, make_due: Any
) -> None:
    p = make_due()
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    response = alice_client.post(decide_url(p, "resolve"), resolve_data(p, known_on=tomorrow.isoformat()))
    assert response.context["decision"]["forms"]["resolve"].errors["known_on"] == [
        f"When it became known cannot be after today ({today})."
    ]
    assert not p.events.exists()


def test_the_admin_form_offers_today_and_records_what_is_chosen(alice_client: Client, make_due: Any) -> None:
    p = make_due()
    page = alice_client.get(change_url(p))
    assert page.context["decision"]["forms"]["resolve"]["known_on"].value() == timezone.localdate()
    alice_client.post(decide_url(p, "resolve"), resolve_data(p, known_on="2026-02-20"))
    p.refresh_from_db()
    assert (p.status, p.known_on) == (Status.RESOLVED, date(2026, 2, 20))


def test_the_admin_history_shows_known_on_beside_recorded(alice_client: Client, make_due: Any) -> None:
    p = make_due()
    held_up(p, date(2026, 12, 20))
    html = alice_client.get(change_url(p)).content.decode()
    assert "Known on" in html and "Recorded" in html  # the history's columns
    assert "2026-12-20" in html


# --- the public page --------------------------------------------------------------------------


def test_the_page_says_known_on_and_recorded_on(client: Client, make_due: Any) -> None:
    p = make_due()
    held_up(p, date(2026, 12, 20))
    html = client.get(p.get_absolute_url()).content.decode()
    assert "Known on 20 Dec 2026 · recorded on 5 Jan 2027" in html
    assert '<time class="known-on" datetime="2026-12-20">20 Dec 2026</time>' in html  # the history


# --- the export (schema v3) and older files ---------------------------------------------------


@pytest.fixture
def history(make_due: Any, reviewer: User) -> list[Prediction]:
    first, second = make_due(), make_due()
    held_up(first, date(2026, 12, 20))
    resolve(
        second, outcome=Outcome.DID_NOT_HOLD_UP, note="No.", actor=ALICE, at=AT, known_on=date(2027, 1, 2)
    )
    return [first, second]


def states() -> dict[str, tuple]:
    # flagged_at aside: make_due stamps it without a flag in the history, so no import can know it.
    fields = [f for f in STATE_FIELDS if f != "flagged_at"]
    return {p.key: tuple(getattr(p, f) for f in fields) for p in Prediction.objects.all()}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_export_carries_known_on_and_an_import_restores_it(
    history: list, tmp_path: Path, fmt: str
) -> None:
    text = export_text(fmt)
    rows = rows_of(fmt, text)
    assert EXPORT_SCHEMA_VERSION >= 3  # known_on came with 3
    assert [(r.event, r.known_on) for r in rows] == [
        (EventKind.RESOLVED, date(2026, 12, 20)),
        (EventKind.RESOLVED, date(2027, 1, 2)),
    ]
    before = states()
    empty_the_database()
    path = tmp_path / f"history.{fmt}"
    path.write_text(text, encoding="utf-8")
    import_file(path)
    assert states() == before
    assert sorted(Event.objects.values_list("known_on", flat=True)) == [date(2026, 12, 20), date(2027, 1, 2)]


def older(lines: list[dict], version: int) -> list[dict]:
    """The same rows as a version-`version` file had them: no known_on (and, in version 1, none
    of version 2's columns; nor version 4's topics)."""
    dropped = {"known_on", "topics", "topic_names"} | (
        {"attribution", "attribution_note", "excerpt", "source_note"} if version == 1 else set()
    )
    return [
        {k: v for k, v in line.items() if k not in dropped} | {"schema_version": version} for line in lines
    ]


@pytest.mark.parametrize("version", [1, 2])
def test_a_version_1_or_2_file_imports_known_on_as_the_day_it_was_recorded(
    history: list, tmp_path: Path, version: int
) -> None:
    lines = [json.loads(line) for line in export_text("jsonl").splitlines()]
    empty_the_database()
    import_file(write_jsonl(tmp_path, older(lines, version)))
    assert set(Prediction.objects.values_list("known_on", flat=True)) == {date(2027, 1, 5)}
    assert set(Event.objects.values_list("known_on", flat=True)) == {date(2027, 1, 5)}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"known_on": None}, "known_on: a resolved row says when its outcome became known"),
        ({"known_on": "2027-01-06"}, "known_on: 2027-01-06 is after the day it was recorded (2027-01-05)"),
        ({"known_on": "2026-01-30"}, "known_on: 2026-01-30 is before the source was published (2026-01-31)"),
        (
            {"event": "flagged", "to_status": "due", "to_outcome": "", "from_status": "due"},
            "known_on: only an outcome",
        ),
    ],
)
def test_a_version_3_row_with_a_wrong_known_on_is_named_and_nothing_is_imported(
    history: list, tmp_path: Path, changes: dict, expected: str
) -> None:
    lines = [json.loads(line) for line in export_text("jsonl").splitlines()]
    lines[0] |= changes
    empty_the_database()
    assert expected in failing_import(write_jsonl(tmp_path, lines))
    assert not Prediction.objects.exists()


def test_an_imported_panel_history_replays_to_proposed_disputed_and_confirmed(
    make_due: Any, tmp_path: Path, settings: Any
) -> None:
    settings.REVIEW_QUORUM = 2
    proposed, disputed, confirmed, settled = make_due(), make_due(), make_due(), make_due()
    for p in (proposed, disputed, confirmed, settled):
        held_up(p, date(2026, 12, 20))
    for p in (disputed, settled):
        dispute(p, outcome=Outcome.PARTIALLY, note="Half.", actor=CAROL, at=AT, known_on=date(2026, 12, 21))
    confirm(confirmed, note="Yes.", actor=CAROL, at=AT)
    resolve(settled, outcome=Outcome.PARTIALLY, note="Half.", actor=DAVE, at=AT, known_on=date(2026, 12, 22))
    text = export_text("csv")
    before = states()
    empty_the_database()
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    import_file(path)
    assert states() == before
    by_key = {p.key: (p.status, p.outcome, p.known_on) for p in Prediction.objects.all()}
    assert by_key == {
        proposed.key: (Status.PROPOSED, "", None),
        disputed.key: (Status.DISPUTED, "", None),
        confirmed.key: (Status.RESOLVED, Outcome.HELD_UP, date(2026, 12, 20)),
        settled.key: (Status.RESOLVED, Outcome.PARTIALLY, date(2026, 12, 22)),
    }


def test_the_api_gives_known_on_for_the_prediction_and_each_decision(client: Client, make_due: Any) -> None:
    p = make_due()
    held_up(p, date(2026, 12, 20))
    body = client.get(f"/api/predictions/{p.pk}").json()
    assert (body["known_on"], body["resolved_at"][:10]) == ("2026-12-20", "2027-01-05")
    assert [row["known_on"] for row in body["history"]] == ["2026-12-20"]


def test_the_feed_says_known_on_and_recorded_on(client: Client, make_due: Any) -> None:
    p = make_due()
    held_up(p, date(2026, 12, 20))
    assert (
        "Known on 20 Dec 2026; recorded on 5 Jan 2027." in client.get("/feeds/resolved.atom").content.decode()
    )


def test_the_bulk_decision_asks_for_known_on_today_by_default(alice_client: Client, make_due: Any) -> None:
    chosen = [make_due(), make_due()]
    page = alice_client.post(
        "/admin/predictions/prediction/",
        {"action": "record_outcome", "_selected_action": [p.pk for p in chosen]},
    )
    assert page.context["form"]["known_on"].value() == timezone.localdate()
