"""Starting the service never undoes people's work: the start's seed import adds only what is
missing, and an explicit import that changes an edited prediction says so in its history
(by "import", shown as such) and in its output."""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from predictions.decisions import Actor, resolve
from predictions.export_stream import stream_export
from predictions.models import Event, EventKind, Prediction, Speaker
from tests.admin_support import change_url, form_data
from tests.conftest import ROOT, SEED
from tests.support import GOOD, write

pytestmark = pytest.mark.django_db


def setup_import() -> str:
    """The import line of the Makefile's `setup` (what `make run` does on every start), run."""
    recipe = re.search(r"^setup:.*?\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    line = next(cmd for cmd in recipe.splitlines() if "manage.py import_predictions" in cmd)
    args = shlex.split(line.split("import_predictions", 1)[1].replace("$(SEED)", str(SEED)))
    out = StringIO()
    call_command("import_predictions", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def explicit_import(path: Path = SEED) -> str:
    out = StringIO()
    call_command("import_predictions", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def admin_edit(client: Client, p: Prediction, **changes: object) -> None:
    data = form_data(client.get(change_url(p)))
    data.update(changes, _save="Save")
    response = client.post(change_url(p), data)
    assert response.status_code == 302, response.context["adminform"].form.errors


@pytest.fixture
def edited(seeded, client: Client) -> Prediction:
    """Erin's edits in the admin to a seed prediction: its due date, its criteria and who said it."""
    client.force_login(User.objects.create_superuser("erin", "erin@example.org", "password"))
    p = Prediction.objects.filter(speaker__isnull=False).order_by("pk").first()
    other = Speaker.objects.exclude(pk=p.speaker_id).order_by("slug").first()
    admin_edit(
        client,
        p,
        due_on=p.due_on + timedelta(days=365),
        resolution_criteria="Two public benchmarks show it, not one.",
        speaker=other.pk,
        attribution="inferred",
        attribution_note="Erin checked the recording.",
    )
    p.refresh_from_db()
    assert p.speaker == other
    return p


def history(p: Prediction) -> list[tuple[str, str]]:
    return list(p.events.order_by("id").values_list("kind", "actor_name"))


def test_an_edit_survives_the_starts_seed_import(edited: Prediction) -> None:
    before = Prediction.objects.values().get(pk=edited.pk)

    out = setup_import()
    setup_import()  # and the start after that

    assert Prediction.objects.values().get(pk=edited.pk) == before
    assert history(edited) == [(EventKind.ATTRIBUTED, "erin")]  # hers, and no other
    assert "already present" in out
    html = Client().get(edited.get_absolute_url()).content.decode()
    assert html.count("Attribution changed") == 1


def test_the_seed_import_adds_what_is_missing_and_changes_nothing(tmp_path: Path) -> None:
    explicit_import(write(tmp_path, GOOD))
    Prediction.objects.filter(key="one").update(claim="Edited by a reviewer.")
    more = {**GOOD, "predictions": [*GOOD["predictions"], {**GOOD["predictions"][1], "key": "three"}]}
    out = StringIO()
    call_command("import_predictions", "--missing-only", str(write(tmp_path, more)), stdout=out)
    assert "predictions: 1 added, 2 already present" in out.getvalue()
    assert Prediction.objects.get(key="one").claim == "Edited by a reviewer."
    assert Prediction.objects.filter(key="three").exists()
    assert not Event.objects.exists()


def test_an_explicit_import_that_changes_an_edited_field_writes_an_import_history_row(
    edited: Prediction,
) -> None:
    edited_due = edited.due_on

    out = explicit_import()

    edited.refresh_from_db()
    assert edited.due_on == edited_due - timedelta(days=365)  # the file's, as asked
    assert history(edited) == [
        (EventKind.ATTRIBUTED, "erin"),
        (EventKind.ATTRIBUTED, "import"),
        (EventKind.EDITED, "import"),
    ]
    row = edited.events.get(kind=EventKind.EDITED)
    assert row.actor_id is None
    assert (row.from_status, row.to_status) == (edited.status, edited.status)
    assert f"due_on: “{edited_due}” → “{edited.due_on}”" in row.note
    assert "resolution_criteria: “Two public benchmarks show it, not one.” →" in row.note
    assert "attribution_note" not in row.note  # it goes with the attribution row
    assert "Changed 1 existing prediction(s)" in out
    assert f"{edited.source.slug}/{edited.key}: speaker/attribution, due_on, resolution_criteria" in out
    # The public page names the import, and no reviewer, for what the import did.
    html = Client().get(edited.get_absolute_url()).content.decode()
    assert re.search(r"Details changed</strong>.*?Import", html, re.S)
    assert html.count("Reviewer") == 1  # erin's own change

    explicit_import()
    assert len(history(edited)) == 3, "a second import of the same file changes nothing"


def test_a_change_of_only_the_attribution_note_is_an_edit_row(tmp_path: Path) -> None:
    explicit_import(write(tmp_path, GOOD))
    Prediction.objects.filter(key="one").update(attribution_note="Somebody's note.")
    explicit_import(write(tmp_path, GOOD))
    row = Event.objects.get()
    assert (row.kind, row.actor_name) == (EventKind.EDITED, "import")
    assert row.note == "Changed by an import: attribution_note: “Somebody's note.” → (empty)."
    assert Prediction.objects.get(key="one").attribution_note == ""


def test_a_history_import_that_changes_an_edited_prediction_writes_an_import_row_too(
    seeded, reviewer, tmp_path: Path
) -> None:
    p = Prediction.objects.filter(speaker__isnull=False).order_by("pk").first()
    resolve(p, outcome="held_up", note="It happened.", actor=Actor.of(reviewer))
    path = tmp_path / "history.jsonl"
    path.write_text("".join(stream_export("jsonl")), encoding="utf-8")
    exported_due, speaker = p.due_on, p.speaker.name
    Prediction.objects.filter(pk=p.pk).update(
        due_on=p.due_on + timedelta(days=30), speaker=None, attribution="unattributed"
    )

    out = explicit_import(path)

    p.refresh_from_db()
    assert (p.due_on, p.speaker.name) == (exported_due, speaker)
    row = p.events.order_by("id").last()
    assert (row.kind, row.actor_name, row.from_status, row.to_status) == (
        EventKind.EDITED,
        "import",
        "resolved",
        "resolved",
    )
    assert f"due_on: “{exported_due + timedelta(days=30)}” → “{exported_due}”" in row.note
    assert f"speaker: “Unattributed (panel)” → “{speaker}”" in row.note
    assert f"{p.source.slug}/{p.key}: " in out
