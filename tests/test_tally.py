"""The tally the scorecard reads (models/tally.py, migration 0008): the triggers bucket every
row as the Python rule does (recount.py, scoring.stated_bucket); after every kind of write to
a prediction the tally equals a recount from scratch, on both databases; and what
tallies.py answers from it is what counting the predictions gives. Hand-worked answers of
tallies() and its choice of grain: tests/test_tallies.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F, Sum
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictions.decisions import Actor, DecisionError, defer, reopen, resolve
from predictions.filtering import ATTESTED_VALUE, Filters
from predictions.importing import import_path
from predictions.models import (
    UNATTRIBUTED,
    Attribution,
    Candidate,
    Grain,
    Horizon,
    Outcome,
    Prediction,
    Source,
    Status,
    TallyRow,
    UnresolvableReason,
)
from predictions.models.tally import GRAINS, NEUTRAL
from predictions.recount import count, counted, differences, recount, stated_sums
from predictions.scoring import stated_bucket
from predictions.tallies import dimensions, stated, tallies
from predictions.tasks import flag_due
from tests.admin_support import form_data
from tests.conftest import SEED
from tests.support import empty_the_database, export_text

pytestmark = pytest.mark.django_db

AT = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)
ALICE = Actor(user=None, name="alice")


def assert_exact() -> None:
    """The tally equals a recount, and really counts every prediction (so an empty or
    missing tally cannot pass)."""
    assert differences() == []
    counted = TallyRow.objects.filter(grain=Grain.HORIZON).aggregate(total=Sum("n"))["total"] or 0
    assert counted == Prediction.objects.count()


@pytest.fixture
def other_source(db) -> Source:
    return Source.objects.create(
        title="Other talk", slug="other-talk", url="https://example.org/t", published_on=date(2026, 1, 31)
    )


@pytest.fixture
def cast(speaker, grace, other_source) -> dict[str, Any]:
    """Two speakers and a second source, for predictions to move between."""
    return {"ada": speaker, "grace": grace, "other": other_source}


@pytest.fixture
def editor(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("erin", "erin@example.org", "password"))
    return client


def test_the_triggers_are_installed(db) -> None:
    # A later migration that rebuilds the predictions table on SQLite would drop them.
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'predictions_prediction'::regclass"
        expected = {f"predictions_tally_{op}" for op in ("insert", "update", "delete", "truncate")}
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'predictions_prediction'"
        expected = {f"predictions_tally_{op}" for op in ("insert", "update", "delete")}
    with connection.cursor() as cursor:
        cursor.execute(sql)
        assert expected <= {row[0] for row in cursor.fetchall()}


def test_a_prediction_made_is_counted_in_every_grain(make_prediction, speaker) -> None:
    make_prediction(speaker=speaker, probability=Decimal("0.8"))
    rows = {row.grain: row for row in TallyRow.objects.filter(n__gt=0)}
    assert set(rows) == set(Grain.values)
    horizon = rows[Grain.HORIZON]
    assert (horizon.speaker_id, horizon.horizon, horizon.state, horizon.probability_bin) == (
        speaker.pk,
        Horizon.NEAR,
        Status.OPEN,
        4,
    )
    assert (horizon.n, horizon.n_probability, horizon.probability_sum, horizon.probability_squares) == (
        1,
        1,
        800,
        640_000,
    )
    assert rows[Grain.YEAR].due_year == 2026
    assert_exact()


def test_a_flag_and_every_decision_keep_it_exact(make_prediction, speaker) -> None:
    p = make_prediction(speaker=speaker, probability=Decimal("0.35"))
    make_prediction(due_on=date(2030, 12, 31))
    with time_machine.travel(AT, tick=False):
        assert flag_due(date(2027, 1, 1)) == 1
        assert_exact()
        p.refresh_from_db()
        resolve(p, outcome=Outcome.PARTIALLY, note="half", actor=ALICE, at=AT)
        assert_exact()
        resolve(p, outcome=Outcome.UNRESOLVABLE, reason=UnresolvableReason.TOO_VAGUE, note="re", actor=ALICE)
        assert_exact()
        reopen(p, note="again", actor=ALICE)
        assert_exact()
        defer(p, until=date(2027, 6, 1), note="later", actor=ALICE)
        assert_exact()
    assert TallyRow.objects.get(grain=Grain.HORIZON, speaker=speaker, n__gt=0).state == Status.OPEN


def test_imports_of_a_file_and_of_a_history_export_keep_it_exact(decided, tmp_path) -> None:  # noqa: F811
    assert_exact()  # the seed's import, then a season of decisions (the fixture)
    path = tmp_path / "history.csv"
    path.write_text(export_text("csv"), encoding="utf-8")
    empty_the_database()
    assert_exact()  # TRUNCATE on PostgreSQL (its own trigger), DELETE on SQLite
    call_command("import_predictions", str(path), stdout=StringIO(), stderr=StringIO())
    assert Prediction.objects.filter(status=Status.RESOLVED).exists()
    assert_exact()
    import_path(SEED)  # the same predictions' own file again: updates, no history
    assert_exact()


def test_bulk_and_raw_writes_keep_it_exact(make_prediction, speaker, grace) -> None:
    made = [
        make_prediction(speaker=speaker if i % 2 else None, probability=Decimal(i) / 10) for i in range(8)
    ]
    Prediction.objects.filter(pk__in=[p.pk for p in made[:4]]).update(status=Status.DUE)
    assert_exact()
    for p in made:
        p.speaker, p.attribution = grace, Attribution.INFERRED
    Prediction.objects.bulk_update(made, ["speaker", "attribution"])
    assert_exact()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE predictions_prediction SET probability = NULL WHERE horizon = 'near'")
    assert_exact()


@pytest.mark.parametrize(
    ("field", "value"),
    [("speaker", "grace"), ("horizon", Horizon.LONG), ("due_on", "2031-06-30"), ("source", "other")],
)
def test_an_admin_edit_keeps_it_exact(editor: Client, make_prediction, cast, field: str, value: str) -> None:
    p = make_prediction(speaker=cast["ada"], probability=Decimal("0.6"))
    url = reverse("admin:predictions_prediction_change", args=[p.pk])
    posted = cast[value].pk if value in cast else value
    response = editor.post(url, form_data(editor.get(url)) | {field: posted})
    assert response.status_code == 302
    p.refresh_from_db()
    assert str(getattr(p, f"{field}_id", None) or getattr(p, field)) == str(posted)
    assert_exact()


def test_accepting_a_candidate_keeps_it_exact(client: Client, reviewer, source, speaker) -> None:
    candidate = Candidate.objects.create(
        source=source,
        fingerprint="f" * 64,
        text="Robots will work in warehouses by 2029",
        claim="Robots will work in warehouses by 2029",
        horizon=Horizon.MEDIUM,
        due_on=date(2029, 12, 31),
    )
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:predictions_candidate_accept", args=[candidate.pk]),
        {
            "claim": "Robots work in warehouses by the end of 2029.",
            "speaker": speaker.pk,
            "attribution": Attribution.NAMED,
            "horizon": Horizon.MEDIUM,
            "horizon_as_said": "by 2029",
            "due_on": "2029-12-31",
            "resolution_criteria": "An operator reports them in routine use.",
        },
    )
    assert response.status_code == 302
    assert Prediction.objects.filter(speaker=speaker).count() == 1
    assert_exact()


def test_deleting_a_prediction_without_history_keeps_it_exact(editor: Client, make_prediction) -> None:
    keep, gone = make_prediction(), make_prediction(horizon=Horizon.LONG, due_on=date(2046, 1, 31))
    response = editor.post(reverse("admin:predictions_prediction_delete", args=[gone.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert list(Prediction.objects.all()) == [keep]
    assert_exact()


def test_the_command_reports_a_difference_and_fixes_it(make_prediction) -> None:
    make_prediction()
    out = StringIO()
    call_command("recount_tallies", stdout=out)
    assert out.getvalue().strip() == "The tally matches the predictions."

    TallyRow.objects.filter(grain=Grain.YEAR).update(n=7)  # a write that went around the triggers
    with pytest.raises(CommandError, match="1 buckets differ"):
        call_command("recount_tallies", stdout=(out := StringIO()))
    assert "grain='year'" in out.getvalue()
    assert "the tally holds n 7" in out.getvalue() and "the predictions give n 1" in out.getvalue()

    call_command("recount_tallies", "--fix", stdout=StringIO())
    assert_exact()


# --- the triggers bucket as the Python rule does -----------------------------------------------

# Probabilities at and either side of the calibration buckets' edges, and none.
PROBABILITIES = [None, "0", "0.001", "0.199", "0.2", "0.5", "0.799", "0.8", "0.999", "1"]
# A panel's proposed and disputed predictions (REVIEW_QUORUM = 2) have no outcome: bucketed by status.
STATES = [
    (Status.OPEN, ""),
    (Status.DUE, ""),
    (Status.PROPOSED, ""),
    (Status.DISPUTED, ""),
    *((Status.RESOLVED, outcome) for outcome in Outcome.values),
]


def python_rule(predictions: list[Prediction]) -> dict[tuple, tuple[int, ...]]:
    """`recount()`'s answer worked out in Python, prediction by prediction, from the rule as
    the scorecard's arithmetic states it (scoring.stated_bucket), not from the ORM."""
    expected: dict[tuple, list[int]] = {}
    for p in predictions:
        milli = None if p.probability is None else int(Decimal(p.probability) * 1000)
        dims = {
            "speaker": p.speaker_id,
            "source": p.source_id,
            "attribution": p.attribution,
            "horizon": p.horizon,
            "due_year": p.due_on.year,
            "probability_bin": -1 if milli is None else stated_bucket(milli),
        }
        state = p.outcome if p.status == Status.RESOLVED else p.status
        for grain, kept in GRAINS.items():
            key = (grain, *(dims[d] if d in kept else NEUTRAL[d] for d in NEUTRAL), state)
            sums = expected.setdefault(key, [0, 0, 0, 0])
            for i, value in enumerate((1, milli is not None, milli or 0, (milli or 0) ** 2)):
                sums[i] += value
    return {key: tuple(sums) for key, sums in expected.items()}


def test_the_triggers_bucket_every_state_horizon_and_probability_as_the_python_rule(source, cast) -> None:
    """Every status x outcome x horizon x probability bucket, written through the ORM by every
    path the triggers tell apart (one INSERT per row, one for many, an UPDATE of many, a
    DELETE): what the triggers counted equals the recount and the rule worked out in Python."""
    made = []
    for i, ((status, outcome), horizon, probability) in enumerate(
        (state, horizon, probability)
        for state in STATES
        for horizon in Horizon.values
        for probability in PROBABILITIES
    ):
        speaker = [cast["ada"], cast["grace"], None][i % 3]
        made.append(
            Prediction(
                source=[source, cast["other"]][i % 2],
                key=f"k{i}",
                claim=f"Claim {i}",
                speaker=speaker,
                attribution=[Attribution.NAMED, Attribution.INFERRED][i % 2]
                if speaker
                else Attribution.UNATTRIBUTED,
                horizon=horizon,
                stated_on=date(2026, 1, 31),
                due_on=date(2026 + i % 4, 12, 31),
                resolution_criteria="It happens.",
                probability=None if probability is None else Decimal(probability),
                status=status,
                outcome=outcome,
                unresolvable_reason=UnresolvableReason.TOO_VAGUE if outcome == Outcome.UNRESOLVABLE else "",
            )
        )
    assert len(made) == len(STATES) * 3 * len(PROBABILITIES)
    for p in made[:20]:
        p.save()  # one INSERT each
    Prediction.objects.bulk_create(made[20:])  # many rows in one INSERT
    every = list(Prediction.objects.all())
    assert counted() == recount() == python_rule(every)

    # One UPDATE moves every row to another bucket (state, year, horizon, probability bin).
    Prediction.objects.filter(status=Status.RESOLVED).update(
        status=Status.DUE, outcome="", unresolvable_reason=""
    )
    Prediction.objects.filter(probability__isnull=False, probability__lt=1).update(
        probability=F("probability") + Decimal("0.001")
    )
    Prediction.objects.filter(horizon=Horizon.NEAR).update(horizon=Horizon.LONG, due_on=date(2046, 1, 31))
    every = list(Prediction.objects.all())
    assert counted() == recount() == python_rule(every)

    Prediction.objects.filter(pk__in=[p.pk for p in every[::2]]).delete()
    assert counted() == recount() == python_rule(list(Prediction.objects.all()))


# --- what tallies.py answers is what counting the predictions gives ----------------------------


def by_values(rows: list[dict[str, Any]]) -> dict[tuple, Any]:
    return {
        tuple(v for k, v in row.items() if k not in ("tally", "stated")): row.get("tally")
        or row.get("stated")
        for row in rows
    }


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(speaker="ada-lovelace"),
        Filters(speaker=UNATTRIBUTED),
        Filters(source="other-talk"),
        Filters(attribution=ATTESTED_VALUE),
        Filters(horizon=Horizon.NEAR, attribution=Attribution.NAMED),
        Filters(speaker="grace-hopper", source="test-podcast", horizon=Horizon.MEDIUM),
    ],
    ids=repr,
)
@pytest.mark.parametrize(
    "group_by", [("speaker__slug", "speaker__name", "horizon"), ("due_year",), ("horizon",), ()]
)
def test_the_tally_answers_as_the_predictions_would(make_prediction, source, cast, filters, group_by) -> None:
    for i in range(12):
        resolved = i % 4 == 3
        make_prediction(
            speaker=[cast["ada"], cast["grace"], None][i % 3],
            source=cast["other"] if i % 4 == 0 else source,
            horizon=Horizon.values[i % 3],
            due_on=date(2026 + i % 5, 12, 31),
            probability=Decimal(i * 83 % 1000) / 1000 if i % 2 else None,
            status=Status.RESOLVED if resolved else Status.OPEN,
            outcome=Outcome.values[i // 4 % 4] if resolved else "",
            unresolvable_reason="",
        )
    predictions = filters.apply(Prediction.objects.all())
    expected = by_values(count(predictions, group_by))
    assert expected, "nothing to compare"
    assert by_values(tallies(filters, group_by)) == expected
    assert by_values(stated(filters, ("speaker__slug",))) == by_values(
        stated_sums(predictions, ("speaker__slug",))
    )
    # Every grain that keeps what the question names gives the same answer as the one chosen.
    for grain, kept in GRAINS.items():
        if dimensions(filters, group_by) <= kept:
            assert by_values(tallies(filters, group_by, grain=Grain(grain))) == expected, grain


def test_the_scorecard_reads_the_tally_not_the_predictions(make_prediction, speaker) -> None:
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        make_prediction(speaker=speaker, probability=Decimal("0.7"))
    # Speaker × horizon, inferred attributions and the two menus on every page; due years
    # (the timeline) and probabilities (calibration) on theirs; the stances are grouped from
    # their own (small) table.
    pages = {
        "/scorecard/": 4,
        "/scorecard/timeline/": 5,
        "/scorecard/calibration/": 5,
        "/scorecard/stances/": 4,
    }
    for url, expected in pages.items():
        with CaptureQueriesContext(connection) as captured:
            assert Client().get(url).status_code == 200
        grouped = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
        from_tally = [sql for sql in grouped if 'FROM "predictions_tally"' in sql]
        assert len(from_tally) >= expected, url
        assert not [sql for sql in grouped if 'FROM "predictions_prediction"' in sql], url


# --- a random walk: any sequence of decisions and edits leaves the tally exact -----------------

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "flag",
                "held_up",
                "partially",
                "unresolvable",
                "defer",
                "reopen",
                "speaker",
                "probability",
                "due",
            ]
        ),
        st.integers(0, 2),  # which prediction
        st.integers(0, 1000),  # a probability in thousandths, or a day offset
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_random_sequences_of_decisions_leave_the_tally_equal_to_a_recount(
    make_prediction, speaker, actions: list[tuple[str, int, int]]
) -> None:
    made = [
        make_prediction(speaker=speaker, probability=Decimal("0.25")),
        make_prediction(),
        make_prediction(horizon=Horizon.MEDIUM, due_on=date(2027, 6, 30), probability=Decimal("1")),
    ]
    for i, (action, which, number) in enumerate(actions):
        at = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(days=i)
        p = Prediction.objects.get(pk=made[which].pk)
        with time_machine.travel(at, tick=False):
            try:
                if action == "flag":
                    flag_due(date(2027, 1, 1) + timedelta(days=i + number % 400))
                elif action in ("held_up", "partially", "unresolvable"):
                    reason = UnresolvableReason.TOO_VAGUE if action == "unresolvable" else ""
                    resolve(p, outcome=action, reason=reason, note="why", actor=ALICE, at=at)
                elif action == "defer":
                    defer(
                        p, until=date(2027, 1, 2) + timedelta(days=i + 30), note="later", actor=ALICE, at=at
                    )
                elif action == "reopen":
                    reopen(p, note="again", actor=ALICE, at=at)
                elif action == "speaker":
                    p.speaker = None if p.speaker_id else speaker
                    p.attribution = Attribution.UNATTRIBUTED if p.speaker is None else Attribution.NAMED
                    p.save()
                elif action == "probability":
                    p.probability = None if number % 7 == 0 else Decimal(number) / 1000
                    p.save(update_fields=["probability"])
                else:
                    Prediction.objects.filter(pk=p.pk).update(
                        due_on=date(2026, 12, 31) + timedelta(days=number)
                    )
            except DecisionError:
                continue  # not allowed from this state: nothing was written
    assert_exact()
