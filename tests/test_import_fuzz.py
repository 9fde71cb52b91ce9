"""Fuzz (hypothesis): arbitrary prediction records and export rows give either a clean
import or clear per-record, per-field errors, never a traceback, and a refused file writes
nothing. Runs on SQLite and PostgreSQL alike (`make test` with and without DATABASE_URL)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictions.export_schema import EXPORT_FIELDS
from predictions.importing import ImportProblems, import_path
from predictions.models import Event, Prediction, Source, Speaker

pytestmark = pytest.mark.django_db

V4_FIELDS = ("topics", "topic_names")  # the row below is version 2's

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Anything JSON can carry: NULs, astral characters, huge and negative numbers, nesting.
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
dates = st.dates().map(str)

PREDICTION = {
    "key": "p1",
    "source": "pod",
    "claim": "It will rain.",
    "horizon": "near",
    "resolution_criteria": "Rain is measured.",
}
PREDICTION_FIELDS = [
    *PREDICTION,
    "quote",
    "section",
    "horizon_as_said",
    "stated_on",
    "due_on",
    "source_timestamp",
    "probability",
    "speaker",
]


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Prediction, Source, Speaker, Event))


def import_text(text: str, suffix: str) -> list[str]:
    """Import in a savepoint that is always rolled back, so examples do not see each other.
    Returns the problems ([] for a clean import)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        before = counts()
        with transaction.atomic():
            try:
                import_path(path)
            except ImportProblems as refused:
                assert counts() == before, "a refused import wrote something"
                return refused.problems
            finally:
                transaction.set_rollback(True)
    return []


@FUZZ
@given(
    changes=st.dictionaries(st.sampled_from(PREDICTION_FIELDS), values | dates, max_size=4),
    published_on=dates,
)
def test_an_arbitrary_prediction_record_imports_or_is_named(
    changes: dict[str, Any], published_on: str
) -> None:
    document = {
        "sources": [{"slug": "pod", "title": "A podcast", "published_on": published_on}],
        "predictions": [{**PREDICTION, **changes}],
    }
    problems = import_text(json.dumps(document), ".json")
    for problem in problems:
        assert problem.startswith(("predictions[0]", "sources[0]", "file")), problem
        assert "Traceback" not in problem


@pytest.fixture(scope="module")
def export_row() -> dict[str, Any]:
    return {
        "schema_version": 2,
        "prediction_id": 1,
        "source": "pod",
        "key": "p1",
        "claim": "It will rain.",
        "speaker": None,
        "speaker_name": "",
        "horizon": "near",
        "horizon_as_said": "this year",
        "stated_on": "2026-01-31",
        "due_on": "2026-12-31",
        "probability": None,
        "event": "flagged",
        "at": "2027-01-01T00:05:00Z",
        "actor": "scheduler",
        "from_status": "open",
        "to_status": "due",
        "from_outcome": "",
        "to_outcome": "",
        "unresolvable_reason": "",
        "review_after": None,
        "note": "",
        "evidence": [],
        "quote": "",
        "section": "",
        "source_timestamp": None,
        "resolution_criteria": "Rain is measured.",
        "source_title": "A podcast",
        "source_kind": "podcast",
        "source_url": "",
        "source_published_on": "2026-01-31",
    }


def test_the_fuzz_starts_from_a_row_that_imports(export_row: dict[str, Any]) -> None:
    row = {k: export_row.get(k, "") for k in EXPORT_FIELDS if k not in V4_FIELDS}
    assert import_text(json.dumps(row) + "\n", ".jsonl") == []


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(EXPORT_FIELDS), values | dates, min_size=1, max_size=4))
def test_an_arbitrary_export_row_imports_or_is_named(
    export_row: dict[str, Any], changes: dict[str, Any]
) -> None:
    row = {**{k: export_row.get(k, "") for k in EXPORT_FIELDS if k not in V4_FIELDS}, **changes}
    problems = import_text(json.dumps(row) + "\n", ".jsonl")
    for problem in problems:
        assert problem.startswith("row 1"), problem
