from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from predictions.models import (
    SPEAKER_OR_NEITHER,
    AppendOnlyError,
    Attribution,
    Candidate,
    Event,
    EventKind,
    Horizon,
    Outcome,
    Prediction,
    Status,
    UnresolvableReason,
    default_due_on,
    speaker_agrees,
)
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db


def refused(fn) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_the_database_refuses_a_due_date_before_the_stated_date(make_prediction):
    refused(lambda: make_prediction(stated_on=date(2026, 6, 1), due_on=date(2026, 5, 31)))


def test_the_database_refuses_an_outcome_on_an_unresolved_prediction(make_prediction):
    refused(lambda: make_prediction(status=Status.DUE, outcome=Outcome.HELD_UP))


def test_the_database_refuses_a_resolved_prediction_without_an_outcome(make_prediction):
    refused(lambda: make_prediction(status=Status.RESOLVED, outcome=""))


def test_the_database_refuses_unresolvable_without_a_reason(make_prediction):
    refused(lambda: make_prediction(status=Status.RESOLVED, outcome=Outcome.UNRESOLVABLE))
    p = make_prediction(
        status=Status.RESOLVED,
        outcome=Outcome.UNRESOLVABLE,
        unresolvable_reason=UnresolvableReason.TOO_VAGUE,
    )
    assert p.pk


def test_the_database_refuses_an_unknown_horizon_or_status(make_prediction):
    refused(lambda: make_prediction(horizon="someday"))
    refused(lambda: make_prediction(status="maybe"))


def test_the_database_refuses_a_probability_outside_0_to_1(make_prediction):
    refused(lambda: make_prediction(probability="1.5"))


def test_a_key_is_unique_within_its_source(make_prediction):
    make_prediction(key="same")
    refused(lambda: make_prediction(key="same"))


def test_a_valid_resolved_prediction_is_accepted(make_prediction):
    p = make_prediction(status=Status.RESOLVED, outcome=Outcome.HELD_UP)
    assert Prediction.objects.resolved().get() == p


@pytest.mark.parametrize(
    ("horizon", "said", "expected"),
    [
        (Horizon.NEAR, "this year", date(2026, 12, 31)),
        (Horizon.MEDIUM, "years", date(2029, 1, 31)),
        (Horizon.LONG, "decades", date(2046, 1, 31)),
        (Horizon.LONG, "100 years out", date(2126, 1, 31)),
    ],
)
def test_due_dates_follow_the_horizon(horizon, said, expected):
    assert default_due_on(horizon, date(2026, 1, 31), said) == expected


def test_a_leap_day_plus_years_lands_on_28_february():
    assert default_due_on(Horizon.MEDIUM, date(2028, 2, 29)) == date(2031, 2, 28)


def test_flaggable_selects_open_predictions_due_by_the_day_and_not_deferred(make_prediction):
    due = make_prediction(due_on=date(2026, 12, 31))
    overdue = make_prediction(due_on=date(2026, 12, 1))
    make_prediction(due_on=date(2027, 1, 2))  # not yet
    make_prediction(due_on=date(2026, 12, 1), status=Status.DUE)  # already flagged
    make_prediction(due_on=date(2026, 12, 1), status=Status.RESOLVED, outcome=Outcome.HELD_UP)
    make_prediction(due_on=date(2026, 12, 1), review_after=date(2027, 3, 1))  # deferred
    back = make_prediction(due_on=date(2026, 12, 1), review_after=date(2027, 1, 1))
    assert set(Prediction.objects.flaggable(date(2027, 1, 1))) == {due, overdue, back}


def test_the_scheduler_query_has_a_partial_index():
    constraints = connection.introspection.get_constraints(connection.cursor(), Prediction._meta.db_table)
    assert constraints["prediction_open_due"]["columns"] == ["due_on", "review_after"]


def make_event(prediction: Prediction) -> Event:
    return Event.objects.create(
        prediction=prediction,
        kind=EventKind.FLAGGED,
        at=timezone.now(),
        actor_name="scheduler",
        from_status=Status.OPEN,
        to_status=Status.DUE,
    )


def test_history_rows_cannot_be_changed_or_deleted_through_the_orm(make_prediction):
    event = make_event(make_prediction())
    event.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.note == ""


def test_history_rows_cannot_be_changed_with_raw_sql(make_prediction):
    event = make_event(make_prediction())
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE predictions_event SET note = 'rewritten' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.note == ""


@requires_postgres
def test_history_rows_cannot_be_deleted_with_raw_sql_on_postgresql(make_prediction):
    event = make_event(make_prediction())
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM predictions_event WHERE id = %s", [event.pk])
    assert Event.objects.filter(pk=event.pk).exists()


def test_a_prediction_with_history_cannot_be_deleted(make_prediction):
    from django.db.models import ProtectedError

    p = make_prediction()
    make_event(p)
    with pytest.raises(ProtectedError):
        p.delete()


@pytest.mark.parametrize("attribution", Attribution.values)
@pytest.mark.parametrize("has_speaker", [True, False])
def test_a_speaker_exactly_when_attributed_is_one_rule_for_the_database_and_the_checks(
    make_prediction, source, speaker, attribution, has_speaker
) -> None:
    """speaker_agrees() (asked by clean(), the accept form, accepting and the import) and
    the CHECK of both tables agree on every combination."""
    expected = (
        attribution != Attribution.UNATTRIBUTED if has_speaker else attribution == Attribution.UNATTRIBUTED
    )
    assert speaker_agrees(has_speaker, attribution) is expected
    who = speaker if has_speaker else None
    writes = [
        lambda: make_prediction(speaker=who, attribution=attribution),
        lambda: Candidate.objects.create(
            source=source, fingerprint=attribution + str(has_speaker), text="t", claim="t",
            horizon=Horizon.NEAR, due_on=date(2026, 12, 31), speaker=who, attribution=attribution,
        ),
    ]  # fmt: skip
    for write in writes:
        if expected:
            with transaction.atomic():
                write()
        else:
            refused(write)
    unsaved = Prediction(source=source, speaker=who, attribution=attribution)
    with pytest.raises(ValidationError) as errors:
        unsaved.full_clean()
    assert (SPEAKER_OR_NEITHER in errors.value.message_dict.get("attribution", [])) is not expected
