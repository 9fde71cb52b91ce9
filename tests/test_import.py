import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from predictions.models import Prediction, Source, Speaker
from tests.support import GOOD, write

pytestmark = pytest.mark.django_db


def run(path: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_predictions", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing(tmp_path: Path, data: object) -> str:
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_predictions", str(write(tmp_path, data)), stdout=StringIO(), stderr=err)
    assert Prediction.objects.count() == 0
    assert Speaker.objects.count() == 0
    assert Source.objects.count() == 0
    return err.getvalue()


def with_prediction(**changes: object) -> dict:
    data = json.loads(json.dumps(GOOD))
    data["predictions"][1].update(changes)
    return data


def test_it_imports_a_good_file_with_defaults_filled_in(tmp_path):
    out, _ = run(write(tmp_path, GOOD))
    assert "predictions: 2 created" in out
    one = Prediction.objects.get(key="one")
    assert one.speaker.name == "Ada Lovelace"
    assert str(one.stated_on) == "2026-03-01"  # the source's date
    assert str(one.due_on) == "2029-03-01"  # medium term: +3 years
    two = Prediction.objects.get(key="two")
    assert two.speaker is None
    assert two.horizon_as_said == "unstated"
    assert str(two.due_on) == "2026-12-31"
    assert str(two.probability) == "0.700"


def test_it_reads_json_too(tmp_path):
    run(write(tmp_path, GOOD, "file.json"))
    assert Prediction.objects.count() == 2


def test_importing_twice_changes_nothing(tmp_path):
    path = write(tmp_path, GOOD)
    run(path)
    before = list(Prediction.objects.values().order_by("key"))
    out, _ = run(path)
    assert "predictions: 0 created, 0 updated, 2 unchanged" in out
    assert list(Prediction.objects.values().order_by("key")) == before


def test_a_changed_claim_is_updated_in_place(tmp_path):
    run(write(tmp_path, GOOD))
    out, _ = run(write(tmp_path, with_prediction(claim="It snows this year.")))
    assert "predictions: 0 created, 1 updated, 1 unchanged" in out
    assert Prediction.objects.get(key="two").claim == "It snows this year."


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"due_on": "2026-02-30"}, 'predictions[1] (key "two"): due_on: Input should be a valid date'),
        ({"horizon": "someday"}, 'predictions[1] (key "two"): horizon: Input should be'),
        (
            {"due_on": "2026-01-01"},
            'predictions[1] (key "two"): due_on: 2026-01-01 is before stated_on 2026-03-01',
        ),
        (
            {"stated_on": "2026-05-01", "due_on": "2026-04-01"},
            'predictions[1] (key "two"): due_on: due_on 2026-04-01 is before stated_on 2026-05-01',
        ),
        ({"claim": ""}, 'predictions[1] (key "two"): claim: String should have at least 1 character'),
        ({"colour": "red"}, 'predictions[1] (key "two"): colour: Extra inputs are not permitted'),
        ({"speaker": "nobody"}, "predictions[1] (key \"two\"): speaker: unknown speaker 'nobody'"),
        ({"source": "elsewhere"}, "predictions[1] (key \"two\"): source: unknown source 'elsewhere'"),
        ({"key": "one"}, "predictions[1] (key \"one\"): key: appears twice for source 'talk'"),
        (
            {"probability": 2},
            'predictions[1] (key "two"): probability: Input should be less than or equal to 1',
        ),
        # Longer than the database column: named here, not a DataError on PostgreSQL.
        (
            {"section": "x" * 301},
            'predictions[1] (key "two"): section: String should have at most 300 characters',
        ),
    ],
)
def test_a_bad_record_is_named_with_its_field_and_nothing_is_written(tmp_path, changes, expected):
    assert expected in failing(tmp_path, with_prediction(**changes))


def test_a_missing_claim_is_named(tmp_path):
    data = with_prediction()
    del data["predictions"][1]["claim"]
    assert 'predictions[1] (key "two"): claim: Field required' in failing(tmp_path, data)


def test_every_problem_is_reported_not_only_the_first(tmp_path):
    data = with_prediction(horizon="someday")
    data["predictions"][0]["due_on"] = "not a date"
    err = failing(tmp_path, data)
    assert 'predictions[0] (key "one"): due_on' in err
    assert 'predictions[1] (key "two"): horizon' in err


def test_a_file_that_is_not_yaml_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("predictions: [unclosed\n")
    with pytest.raises(CommandError):
        call_command("import_predictions", str(path), stdout=StringIO(), stderr=StringIO())


def test_a_missing_file_is_a_clear_error(tmp_path):
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_predictions", str(tmp_path / "nope.yaml"), stdout=StringIO(), stderr=err)
    assert "cannot read the file" in err.getvalue()


def test_an_import_never_touches_status_or_outcome(tmp_path, reviewer):
    from predictions.decisions import Actor, resolve

    path = write(tmp_path, GOOD)
    run(path)
    resolve(Prediction.objects.get(key="two"), outcome="held_up", note="It rained.", actor=Actor.of(reviewer))
    run(write(tmp_path, with_prediction(claim="It rains a lot this year.")))
    two = Prediction.objects.get(key="two")
    assert (two.status, two.outcome) == ("resolved", "held_up")
    # The decision stays; the import's change is a row of its own that leaves the state as it was.
    edit = two.events.order_by("id").last()
    assert list(two.events.order_by("id").values_list("kind", flat=True)) == ["resolved", "edited"]
    assert (edit.from_status, edit.to_status, edit.from_outcome, edit.to_outcome) == (
        "resolved",
        "resolved",
        "held_up",
        "held_up",
    )
