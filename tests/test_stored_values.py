"""No stored value can break a public page, feed, calendar or the API (issue 17): each
value that once gave a 500 for everyone, stored as the database allows it, and every
public URL that shows it answering."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from predictions.actors import Actor
from predictions.admin.candidates import AcceptForm
from predictions.decisions import DecisionError, resolve
from predictions.export_stream import stream_export
from predictions.exporting import ExportFilters
from predictions.importing import ImportProblems, import_path
from predictions.ingest import review
from predictions.ingest.document import parse
from predictions.ingest.propose import propose, store
from predictions.ingest.review import Acceptance
from predictions.models import (
    CLAIM_MAX,
    CRITERIA_MAX,
    MAX_TIMESTAMP,
    QUOTE_MAX,
    Attribution,
    Candidate,
    CandidateStatus,
    Event,
    Horizon,
    Outcome,
    Prediction,
    Stance,
    StanceKind,
    Status,
)
from tests.support import empty_the_database

pytestmark = pytest.mark.django_db

ALICE = Actor(user=None, name="alice")
AT = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)


def public_urls(prediction: Prediction) -> list[str]:
    urls = [
        "/",
        "/scorecard/",
        prediction.get_absolute_url(),
        f"/sources/{prediction.source.slug}/calendar.ics",
        "/calendar.ics",
        "/feeds/resolved.atom",
        "/api/predictions",
        f"/api/predictions/{prediction.pk}",
        "/api/scorecard",
    ]
    if prediction.speaker_id:
        urls += [
            f"/speakers/{prediction.speaker.slug}/",
            f"/speakers/{prediction.speaker.slug}/calendar.ics",
            f"/speakers/{prediction.speaker.slug}/feed.atom",
        ]
    return urls


def assert_all_answer(prediction: Prediction) -> None:
    client = Client(raise_request_exception=False)
    for url in public_urls(prediction):
        response = client.get(url)
        assert response.status_code in (200, 304, 404), (url, response.status_code)


def test_a_control_character_in_a_note_leaves_the_feed_answering(make_prediction, speaker) -> None:
    prediction = make_prediction(speaker=speaker, status=Status.DUE)
    resolve(prediction, outcome=Outcome.HELD_UP, note="Held\x0cup\x01.", actor=ALICE, at=AT)
    assert_all_answer(prediction)


def test_the_last_day_of_the_calendar_as_a_due_date_leaves_calendars_answering(
    make_prediction, speaker
) -> None:
    prediction = make_prediction(speaker=speaker, due_on=date(9999, 12, 31))
    assert_all_answer(prediction)


def test_the_longest_transcript_time_stored_leaves_the_api_answering(make_prediction, speaker) -> None:
    prediction = make_prediction(speaker=speaker, source_timestamp=MAX_TIMESTAMP)
    assert_all_answer(prediction)


# --- what the formats cannot carry is refused where it enters --------------------------


OVER = 2_147_483_000  # fits PostgreSQL's integer, over the formats' bound


def test_the_database_refuses_a_transcript_time_over_the_bound_everywhere(
    make_prediction, speaker, source
) -> None:
    prediction = make_prediction()
    writes = [
        lambda: make_prediction(source_timestamp=OVER),
        lambda: Prediction.objects.filter(pk=prediction.pk).update(source_timestamp=OVER),
        lambda: Stance.objects.create(
            prediction=prediction, speaker=speaker, stance=StanceKind.AGREES, source_timestamp=OVER
        ),
        lambda: candidate(source, source_timestamp=OVER),
    ]
    for write in writes:
        with pytest.raises(IntegrityError, match="source_timestamp_max"), transaction.atomic():
            write()
    assert Prediction.objects.get().source_timestamp is None
    assert (Stance.objects.count(), Candidate.objects.count()) == (0, 0)


def test_the_admin_refuses_a_transcript_time_over_the_bound() -> None:
    field = Prediction._meta.get_field("source_timestamp")
    with pytest.raises(ValidationError, match="less than or equal to 2000000000"):
        field.clean(OVER, None)


def candidate(source, **fields) -> Candidate:
    values = dict(
        source=source,
        fingerprint="f" * 64,
        section="Predictions",
        line=7,
        text="Robots will sort parcels by 2029.",
        claim="Robots will sort parcels by 2029.",
        horizon=Horizon.MEDIUM,
        due_on=date(2029, 12, 31),
    )
    return Candidate.objects.create(**(values | fields))


def acceptance(**fields) -> Acceptance:
    values = dict(
        claim="Robots sort parcels by 2029.",
        speaker=None,
        attribution=Attribution.UNATTRIBUTED,
        horizon=Horizon.MEDIUM,
        horizon_as_said="by 2029",
        due_on=date(2029, 12, 31),
        resolution_criteria="A carrier reports it.",
    )
    return Acceptance(**(values | fields))


@pytest.mark.parametrize(
    ("field", "limit", "words"),
    [
        ("claim", CLAIM_MAX, "claim: Ensure"),
        ("resolution_criteria", CRITERIA_MAX, "resolution criteria: Ensure"),
    ],
)
def test_accepting_an_overlong_candidate_is_refused_naming_the_field(source, field, limit, words) -> None:
    pending = candidate(source, claim="x" * 4000)
    with pytest.raises(DecisionError, match=words) as refused:
        review.accept(pending.pk, acceptance(**{field: "x" * (limit + 1)}), ALICE)
    assert f"at most {limit} characters" in str(refused.value)
    assert (Prediction.objects.count(), Event.objects.count()) == (0, 0)
    pending.refresh_from_db()
    assert pending.status == CandidateStatus.PROPOSED
    review.accept(pending.pk, acceptance(**{field: "x" * limit}), ALICE)
    assert Prediction.objects.count() == 1


def test_the_accept_page_holds_the_predictions_limits() -> None:
    form = AcceptForm(data={"claim": "x" * (CLAIM_MAX + 1), "resolution_criteria": "y" * (CRITERIA_MAX + 1)})
    assert not form.is_valid()
    assert {"claim", "resolution_criteria"} <= set(form.errors)


def test_ingest_never_proposes_what_could_never_be_accepted(source) -> None:
    document = parse(
        "# Ep\n\n## Timeline Predictions\n\n- By 2029 robots will sort parcels "
        + "and more " * 700
        + ".\n- By 2029 robots will drive trucks.\n"
    )
    proposals = propose(document, source.published_on, [])
    assert len(proposals) == 2 and len(proposals[0].text) > QUOTE_MAX
    result = store(source, proposals, with_transcript=False)
    assert (result.created, result.too_long) == (1, [proposals[0].line])
    assert Candidate.objects.get().claim == proposals[1].text


@pytest.mark.parametrize("at", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_a_history_time_outside_the_calendar_in_utc_is_refused_naming_the_row(
    make_prediction, tmp_path, at
) -> None:
    resolve(
        make_prediction(key="exported", status=Status.DUE),
        outcome=Outcome.HELD_UP,
        note="Yes.",
        actor=ALICE,
        at=AT,
    )
    rows = [json.loads(line) for line in "".join(stream_export("jsonl", ExportFilters())).splitlines()]
    [event_row] = [r for r in rows if r["event"]]
    event_row["at"] = at
    empty_the_database()
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(ImportProblems) as refused:
        import_path(path)
    assert refused.value.problems == [f'row 1 (key "exported"): at: {at} is outside years 1 to 9999 in UTC']
    assert Event.objects.count() == Prediction.objects.count() == 0


def test_line_breaks_in_names_and_titles_leave_calendars_answering(make_prediction, speaker, source) -> None:
    speaker.name = "Ada\nLovelace\r"
    speaker.save()
    source.title = "Test\r\npodcast\rBEGIN:VEVENT"
    source.save()
    prediction = make_prediction(speaker=speaker, claim="Line\rbreak\nclaim")
    assert_all_answer(prediction)
    body = b"".join(Client().get(f"/sources/{source.slug}/calendar.ics").streaming_content)
    # A parser splitting on any line break still reads exactly one event.
    assert [line for line in body.splitlines() if line.startswith(b"BEGIN:")] == [
        b"BEGIN:VCALENDAR",
        b"BEGIN:VEVENT",
    ]
    assert b"\r" not in body.replace(b"\r\n", b"")


@pytest.mark.parametrize("url", ["/?speaker=%00", "/api/predictions?speaker=a%00b", "/scorecard/?source=%00"])
def test_a_nul_in_a_query_string_is_refused_not_a_server_error(seeded, url: str) -> None:
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 400
    parameter = url.split("?")[1].split("=")[0]
    assert f"Invalid value for parameter '{parameter}': a NUL character" in response.content.decode()
    if url.startswith("/api/"):
        assert response.json()["parameter"] == parameter
