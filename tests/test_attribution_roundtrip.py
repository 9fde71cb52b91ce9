"""Who said it, everywhere the data goes: the history export and back (version 2, and a
version-1 export or prediction file from before attribution was data), and the history row
an import or an admin edit writes when it changes who said it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User
from django.test import Client

from predictions.export_schema import EXPORT_SCHEMA_VERSION
from predictions.importing import import_path
from predictions.models import Attribution, Event, EventKind, Prediction, Speaker, Status
from tests.admin_support import change_url, form_data
from tests.support import empty_the_database, export_text

pytestmark = pytest.mark.django_db

# What a prediction says about who said it; an export must bring all of it back.
WHO = ("speaker__slug", "attribution", "attribution_note", "excerpt", "source_note", "source_timestamp")
# The columns version 2 of the export added.
V2_COLUMNS = ("attribution", "attribution_note", "excerpt", "source_note")
TOPIC_COLUMNS = ("topics", "topic_names")  # version 4


def who_said_what() -> dict[tuple[str, str], tuple]:
    return {
        (p["source__slug"], p["key"]): tuple(p[name] for name in WHO)
        for p in Prediction.objects.values("source__slug", "key", *WHO)
    }


def as_v1(fmt: str, text: str) -> str:
    """The same export as version 1 wrote it: schema_version 1, without the four new columns (nor version 4's topics)."""
    if fmt == "jsonl":
        rows = [json.loads(line) for line in text.split("\n") if line]
        for row in rows:
            row["schema_version"] = 1
            for name in (*V2_COLUMNS, *TOPIC_COLUMNS):
                del row[name]
        return "".join(json.dumps(row) + "\n" for row in rows)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name for name in reader.fieldnames or [] if name not in (*V2_COLUMNS, *TOPIC_COLUMNS)]
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in reader:
        writer.writerow({**row, "schema_version": "1"})
    return out.getvalue()


@pytest.fixture
def corrected(seeded) -> dict[tuple[str, str], tuple]:
    """The seed, with a source note on one prediction so that column is carried too."""
    p = Prediction.objects.get(key="two-thousand-dollar-subscription-2026")
    p.source_note = "The write-up says likely; he said he expects it."
    p.save()
    return who_said_what()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_brings_back_who_said_it_into_an_empty_database(
    corrected, tmp_path: Path, fmt: str
) -> None:
    text = export_text(fmt)
    # The rows are version 2 and carry the new fields (a check that the test means something).
    first = text.split("\n", 2)[1] if fmt == "csv" else text.split("\n", 1)[0]
    version = EXPORT_SCHEMA_VERSION
    assert first.startswith(f"{version},") if fmt == "csv" else json.loads(first)["schema_version"] == version
    assert "The write-up says likely; he said he expects it." in text
    empty_the_database()
    path = tmp_path / f"history.{fmt}"
    path.write_text(text, encoding="utf-8")

    import_path(path)

    assert who_said_what() == corrected
    attributions = {row[1] for row in corrected.values()}
    assert attributions == {Attribution.NAMED, Attribution.INFERRED, Attribution.UNATTRIBUTED}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_version_1_export_still_imports_and_its_speakers_come_back_named(
    corrected, tmp_path: Path, fmt: str
) -> None:
    old = as_v1(fmt, export_text(fmt))
    assert "attribution" not in old and "excerpt" not in old
    empty_the_database()
    path = tmp_path / f"history-v1.{fmt}"
    path.write_text(old, encoding="utf-8")

    import_path(path)

    after = who_said_what()
    assert after.keys() == corrected.keys()
    for key, (speaker, _, _, _, _, timestamp) in corrected.items():
        # Before attribution was data a speaker was recorded only where the source named
        # them; the notes, words and write-up differences were not there to carry.
        expected = Attribution.NAMED if speaker else Attribution.UNATTRIBUTED
        assert after[key] == (speaker, expected, "", "", "", timestamp), key


def write_yaml(tmp_path: Path, data: dict[str, Any], name: str = "predictions.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def prediction_file(fmt: str = "prediction-tracker/predictions/v2", **fields: Any) -> dict[str, Any]:
    return {
        "format": fmt,
        "speakers": [
            {"slug": "ada-lovelace", "name": "Ada Lovelace"},
            {"slug": "grace-hopper", "name": "Grace Hopper"},
        ],
        "sources": [{"slug": "talk", "title": "A talk", "published_on": "2026-01-31"}],
        "predictions": [
            {
                "key": "engines",
                "source": "talk",
                "claim": "Engines compose music.",
                "horizon": "near",
                "resolution_criteria": "A concert.",
                **fields,
            },
            {
                "key": "panel",
                "source": "talk",
                "claim": "Someone on the panel said this.",
                "horizon": "near",
                "resolution_criteria": "It happens.",
            },
        ],
    }


def test_a_version_1_prediction_file_imports_with_its_speakers_named(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, prediction_file("prediction-tracker/predictions/v1", speaker="ada-lovelace"))

    import_path(path)

    assert dict(Prediction.objects.values_list("key", "attribution")) == {
        "engines": Attribution.NAMED,
        "panel": Attribution.UNATTRIBUTED,
    }
    assert Prediction.objects.get(key="engines").speaker.slug == "ada-lovelace"


def test_an_import_that_changes_who_said_it_writes_one_history_row_and_again_none(tmp_path: Path) -> None:
    import_path(write_yaml(tmp_path, prediction_file(speaker="ada-lovelace", attribution="named")))
    assert not Event.objects.exists()  # a new prediction is not a change of who said it
    changed = write_yaml(
        tmp_path,
        prediction_file(speaker="grace-hopper", attribution="inferred", attribution_note="Lex asked her."),
        "changed.yaml",
    )

    import_path(changed)

    event = Event.objects.get()
    assert (event.kind, event.actor_name, event.actor_id) == (EventKind.ATTRIBUTED, "import", None)
    assert event.note == "Speaker: Ada Lovelace → Grace Hopper; attribution: named → inferred."
    # The review state is left as it was.
    assert (event.from_status, event.to_status) == (Status.OPEN, Status.OPEN)
    assert Prediction.objects.get(key="engines").status == Status.OPEN

    import_path(changed)

    assert Event.objects.count() == 1


# --- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def editor(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("erin", "erin@example.org", "password"))
    return client


def test_an_admin_change_of_speaker_and_attribution_is_recorded_in_the_history(
    editor: Client, make_prediction, speaker: Speaker
) -> None:
    grace = Speaker.objects.create(name="Grace Hopper", slug="grace-hopper")
    p = make_prediction(speaker=speaker, attribution=Attribution.NAMED)
    data = form_data(editor.get(change_url(p)))

    response = editor.post(
        change_url(p),
        data
        | {"speaker": grace.pk, "attribution": Attribution.INFERRED, "attribution_note": "Lex asked her."},
    )

    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.speaker, p.attribution, p.attribution_note) == (grace, Attribution.INFERRED, "Lex asked her.")
    event = Event.objects.get(prediction=p)
    assert (event.kind, event.actor_name, event.actor_id) == (EventKind.ATTRIBUTED, "erin", event.actor.pk)
    assert event.note == "Speaker: Ada Lovelace → Grace Hopper; attribution: named → inferred."


def test_an_admin_edit_that_leaves_who_said_it_alone_writes_no_history(
    editor: Client, make_prediction, speaker: Speaker
) -> None:
    p = make_prediction(speaker=speaker)
    response = editor.post(change_url(p), form_data(editor.get(change_url(p))) | {"excerpt": "Her words."})
    assert response.status_code == 302
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"attribution": Attribution.UNATTRIBUTED}, "attribution"),  # a speaker, known by nothing
        ({"speaker": ""}, "attribution"),  # named, but nobody
    ],
)
def test_an_inconsistent_attribution_is_a_form_error_and_nothing_is_written(
    editor: Client, make_prediction, speaker: Speaker, change: dict[str, str], field: str
) -> None:
    p = make_prediction(speaker=speaker, attribution=Attribution.NAMED)
    data = form_data(editor.get(change_url(p)))

    response = editor.post(change_url(p), data | change)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Choose a speaker and how they are known, or neither (unattributed)." in errors[field]
    p.refresh_from_db()
    assert (p.speaker, p.attribution, p.version) == (speaker, Attribution.NAMED, 1)
    assert not Event.objects.exists()
