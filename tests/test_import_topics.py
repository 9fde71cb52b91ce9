"""Topics in the prediction file (schemas.PredictionFile v3, importing/prediction_file.py):
a file's topics and each prediction's, older files unchanged, bad topics named with their
record, a change of topics written as history, and the seed's topics."""

from __future__ import annotations

import copy
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from predictions.importing import import_path
from predictions.importing.prediction_file import load, parse
from predictions.models import Event, EventKind, Prediction, Topic
from tests.conftest import SEED
from tests.support import GOOD, write

pytestmark = pytest.mark.django_db

TOPICS = [
    {"slug": "music", "name": "Music", "description": "Sound."},
    {"slug": "weather", "name": "Weather"},
]


def v3(one: list[str] | None = None, two: list[str] | None = None, topics=TOPICS) -> dict:
    data = copy.deepcopy(GOOD)
    data["format"] = "prediction-tracker/predictions/v3"
    data["topics"] = topics
    for record, chosen in zip(data["predictions"], (one, two), strict=True):
        if chosen is not None:
            record["topics"] = chosen
    return data


def problems(tmp_path: Path, data: dict) -> str:
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_predictions", str(write(tmp_path, data)), stdout=StringIO(), stderr=err)
    assert Prediction.objects.count() == 0 and Topic.objects.count() == 0
    return err.getvalue()


def topics_of(key: str) -> list[str]:
    return sorted(Prediction.objects.get(key=key).topics.values_list("slug", flat=True))


def test_a_file_brings_its_topics_and_each_predictions(tmp_path) -> None:
    import_path(write(tmp_path, v3(["music", "weather"], ["weather"])))
    assert Topic.objects.get(slug="music").description == "Sound."
    assert topics_of("one") == ["music", "weather"] and topics_of("two") == ["weather"]


def test_a_file_without_topics_still_imports_and_leaves_them(tmp_path) -> None:
    import_path(write(tmp_path, v3(["music"])))
    older = copy.deepcopy(GOOD)  # a version 1 file: no topics at all
    older["predictions"][0]["claim"] = "Engines will compose symphonies."
    import_path(write(tmp_path, older))
    assert topics_of("one") == ["music"]
    assert Prediction.objects.get(key="one").claim == "Engines will compose symphonies."


def test_a_change_of_topics_is_written_as_history(tmp_path) -> None:
    import_path(write(tmp_path, v3(["music"])))
    assert not Event.objects.exists()  # a new prediction's topics are not a change
    import_path(write(tmp_path, v3(["weather", "music"])))
    [row] = Event.objects.filter(kind=EventKind.EDITED)
    assert row.note == "Changed by an import: topics: “music” → “music, weather”."
    import_path(write(tmp_path, v3(["weather", "music"])))  # the same again: nothing
    assert Event.objects.count() == 1


def test_an_unknown_topic_is_named_with_its_record(tmp_path) -> None:
    err = problems(tmp_path, v3(["music", "musics"]))
    assert "predictions[0] (key \"one\"): topics.1: unknown topic 'musics'" in err


def test_a_topic_twice_or_a_name_twice_is_refused(tmp_path) -> None:
    err = problems(tmp_path, v3(topics=[*TOPICS, {"slug": "music", "name": "Songs"}]))
    assert 'topics[2] (slug "music"): slug: appears twice in the file' in err
    err = problems(tmp_path, v3(topics=[*TOPICS, {"slug": "the-music", "name": "Music"}]))
    assert "topics[2] (slug \"the-music\"): name: 'Music' is already the topic 'music'" in err


def test_a_stored_topic_may_be_named_without_listing_it(tmp_path) -> None:
    Topic.objects.create(slug="stored", name="Stored")
    import_path(write(tmp_path, v3(["stored"], topics=[])))
    assert topics_of("one") == ["stored"]


def test_topics_need_a_version_3_file(tmp_path) -> None:
    data = v3(["music"])
    data["format"] = "prediction-tracker/predictions/v2"
    assert "topics came with prediction-tracker/predictions/v3" in problems(tmp_path, data)


def test_the_start_ups_seeding_gives_topics_to_predictions_that_have_none(tmp_path) -> None:
    """A database seeded before topics existed gets the seed's topics at the next start
    (`missing_only`); a prediction whose topics a reviewer set keeps them."""
    import_path(write(tmp_path, v3()))  # the predictions, no topics yet
    Prediction.objects.get(key="two").topics.add(Topic.objects.get(slug="music"))
    from predictions.importing.reading import read_document

    load(parse(read_document(write(tmp_path, v3(["weather"], ["weather"])))), missing_only=True)
    assert topics_of("one") == ["weather"] and topics_of("two") == ["music"]


def test_the_seed_has_its_topics_from_the_write_ups_sections(seeded) -> None:
    names = set(Topic.objects.values_list("slug", flat=True))
    assert {"open-models", "compute", "software-engineering", "us-and-china"} <= names
    assert not Prediction.objects.filter(topics__isnull=True).exists()  # every one has a topic
    assert set(Topic.objects.get(slug="open-models").predictions.values_list("key", flat=True)) >= {
        "more-open-weight-builders-2026",
        "chinese-labs-keep-open-weights-few-years",
    }
    assert "software-automation-high-by-end-of-2026" in Topic.objects.get(
        slug="software-engineering"
    ).predictions.values_list("key", flat=True)
    assert SEED.exists()
