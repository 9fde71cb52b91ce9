"""A resolution-history export (export_schema.ExportRow, CSV or JSON Lines) read back in, with
its whole history.

Two passes over the file, so that memory grows with the number of predictions, not of
events: the first validates every row and gathers speakers, sources and predictions;
the second, inside the one transaction, writes the events in batches. A prediction's
status, outcome, reason, review date and stamps are then recomputed from its whole
history in the database (events already there plus those added), in (at, id) order,
by replaying it through the transition table (transitions.py). A version-4 file's topics
(slug and name) are created or renamed as the file has them, and each prediction gets
exactly its rows' topics; a changed set on an existing prediction is part of its "edited"
history row.

Lock order (issue 17): the file's existing predictions are locked first, in id order, as
the flag job and decisions lock theirs; the tally and data version are written at COMMIT
(migration 0011). A lost race is run again whole by `import_path` (`races.retried`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from ..export_schema import (
    EXPORT_FIELDS,
    PREDICTION_FIELDS,
    REQUIRED_FIELDS,
    SOURCE_FIELDS,
    ExportRow,
    csv_uncell,
)
from ..models import UNATTRIBUTED_LABEL, Event, Prediction, PredictionTopic, Source, Speaker, Topic
from ..transitions import STATE_FIELDS, STEP_COLUMNS, Step, replay, step_of
from .base import ImportProblems, ImportResult, capped, edit_row, upsert
from .reading import DuplicateKey, unique_keys

HISTORY_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
EVENT_BATCH = 1000


def _raw_rows(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(row number, the row as a mapping or None, the problem with it or "")."""
    try:
        # utf-8-sig: a spreadsheet that saved the CSV again may have added a byte-order mark.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from _csv_rows(handle) if fmt == "csv" else _jsonl_rows(handle)
    except OSError as e:
        raise ImportProblems([f"{path}: cannot read the file ({e.strerror})."]) from e
    except UnicodeDecodeError as e:
        raise ImportProblems([f"{path}: not UTF-8 text ({e.reason} at byte {e.start})."]) from e


def _jsonl_rows(handle: Any) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line, object_pairs_hook=unique_keys)
        except json.JSONDecodeError as e:
            yield number, None, f"row {number}: not valid JSON ({e.msg})"
            continue
        except DuplicateKey as e:
            yield number, None, f"row {number}: {e}"
            continue
        except RecursionError:
            yield number, None, f"row {number}: nested too deeply"
            continue
        if not isinstance(data, dict):
            yield number, None, f"row {number}: a row must be a JSON object"
            continue
        yield number, data, ""


def _csv_rows(handle: Any) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None:
        yield 0, None, "file: empty; a CSV export starts with its header row"
        return
    missing = [name for name in EXPORT_FIELDS if name in REQUIRED_FIELDS and name not in header]
    unknown = [name for name in header if name not in EXPORT_FIELDS]
    twice = sorted({name for name in header if header.count(name) > 1})
    if missing or unknown or twice:
        what = [f"missing column(s) {', '.join(missing)}"] if missing else []
        what += [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        what += [f"column(s) given twice {', '.join(twice)}"] if twice else []
        yield 0, None, f"file: header: {'; '.join(what)}"
        return
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if len(cells) != len(header):
                yield number, None, f"row {number}: has {len(cells)} cells, the header has {len(header)}"
                continue
            yield number, {name: csv_uncell(cell) for name, cell in zip(header, cells, strict=True)}, ""
    except csv.Error as e:  # e.g. a cell over the csv module's size limit, or a stray NUL
        yield number + 1, None, f"row {number + 1}: not readable as CSV ({e})"


def read_export(path: Path, fmt: str) -> Iterator[tuple[int, ExportRow | None, list[str]]]:
    """Every row of an export, validated: (row number, the row or None, its problems)."""
    for number, data, problem in _raw_rows(path, fmt):
        if data is None:
            yield number, None, [problem]
            continue
        try:
            yield number, ExportRow.model_validate(data), []
        except ValidationError as e:
            key = data.get("key")
            name = f'row {number} (key "{key}")' if isinstance(key, str) and key else f"row {number}"
            problems = []
            for err in e.errors():
                where = ".".join(str(p) for p in err["loc"])
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(f"{name}: {where}: {msg}" if where else f"{name}: {msg}")
            yield number, None, problems


@dataclass
class _Gathered:
    speakers: dict[str, tuple[str, int]] = field(default_factory=dict)  # slug -> (name, first row)
    sources: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    predictions: dict[tuple[str, str], tuple[dict[str, Any], int]] = field(default_factory=dict)
    actors: set[str] = field(default_factory=set)
    topics: dict[str, tuple[str, int]] = field(default_factory=dict)  # slug -> (name, first row)


def _same(seen: dict[Any, tuple[Any, int]], ident: Any, value: Any, number: int, name: str) -> list[str]:
    """Remember the first row's value for `ident`; name every field a later row contradicts."""
    if ident not in seen:
        seen[ident] = (value, number)
        return []
    first, first_row = seen[ident]
    if isinstance(value, dict):
        return [
            f"{name}: {key}: {v!r} differs from row {first_row} ({first[key]!r})"
            for key, v in value.items()
            if first[key] != v
        ]
    if first != value:
        return [f"{name}: differs from row {first_row} ({first!r} there, {value!r} here)"]
    return []


def _gather(path: Path, fmt: str) -> _Gathered:
    gathered = _Gathered()
    problems: list[str] = []
    for number, row, row_problems in read_export(path, fmt):
        problems.extend(row_problems)
        if row is None:
            continue
        name = f'row {number} (key "{row.key}")'
        if row.speaker:
            problems += _same(
                gathered.speakers, row.speaker, row.speaker_name, number, f"{name}: speaker_name"
            )
        source = {column: getattr(row, name) for name, column in SOURCE_FIELDS.items()}
        problems += _same(gathered.sources, row.source, source, number, name)
        prediction = {f: getattr(row, f) for f in ("speaker", *PREDICTION_FIELDS, "topics")}
        problems += _same(gathered.predictions, (row.source, row.key), prediction, number, name)
        for slug, topic_name in zip(row.topics or (), row.topic_names or (), strict=True):
            problems += _same(gathered.topics, slug, topic_name, number, f"{name}: topic_names ({slug})")
        if row.event is not None:
            gathered.actors.add(row.actor)
    if not problems and not gathered.predictions:
        problems.append("file: no rows; an export holds at least one row per prediction")
    problems += _topic_problems(gathered.topics)
    if problems:
        raise ImportProblems(capped(problems))
    return gathered


def _topic_problems(named: dict[str, tuple[str, int]]) -> list[str]:
    """A name the file gives a topic that is another topic's, here or in the file (names are
    unique, whatever their case: "Open models" under two slugs is one topic)."""
    stored = dict(Topic.objects.values_list("slug", "name"))  # a small, reviewed vocabulary
    taken = {name.lower(): slug for slug, name in stored.items() if slug not in named}
    # A topic this file renames still holds its old name while the others are written: a
    # name it gives to another topic (two swapping names, or a chain) would meet the unique
    # constraint half-way through the write.
    renamed = {
        stored[slug].lower(): slug for slug, (name, _) in named.items() if stored.get(slug, name) != name
    }
    problems = []
    for slug, (name, number) in named.items():
        other = taken.setdefault(name.lower(), slug)
        holder = renamed.get(name.lower(), slug)
        if other != slug:
            problems.append(f"row {number}: topic_names: {name!r} is already the topic {other!r}")
        elif holder != slug:
            problems.append(
                f"row {number}: topic_names: {name!r} is the name of the topic {holder!r} until this file"
                " renames it: rename one of them first (in the admin, or a file of its own)"
            )
    return problems


def _topic_ids(gathered: _Gathered, result: ImportResult) -> dict[str, int]:
    """The file's topics by slug: created with the file's name, or renamed to it (as a
    speaker's name is)."""
    return {
        slug: upsert(Topic, {"slug": slug}, {"name": name}, result, "topics").pk
        for slug, (name, _) in gathered.topics.items()
    }


def _write_predictions(
    gathered: _Gathered, result: ImportResult, edits: dict[int, list[tuple[str, Any, Any]]]
) -> dict[tuple[str, str], int]:
    """Upsert speakers, sources and predictions; the (source slug, key) -> id map. What it
    changes in existing predictions goes into `edits`: (field, was, is) by prediction id."""
    speakers = {
        slug: upsert(Speaker, {"slug": slug}, {"name": name}, result, "speakers")
        for slug, (name, _) in gathered.speakers.items()
    }
    sources = {
        slug: upsert(Source, {"slug": slug}, values, result, "sources")
        for slug, (values, _) in gathered.sources.items()
    }
    by_source_id = {s.pk: slug for slug, s in sources.items()}
    # Read and locked at once, in id order as every writer locks predictions, before any
    # is changed: what is compared below cannot change under the import, and the import
    # waits for a decision or the flag job rather than forming a cycle with it. (Every
    # prediction of the file's sources: an export carries whole sources.)
    existing = {
        (by_source_id[p.source_id], p.key): p
        for p in Prediction.objects.filter(source__in=sources.values()).order_by("pk").select_for_update()
    }
    stored_topics: dict[int, list[str]] = {}
    for pk, slug in PredictionTopic.objects.filter(prediction__source__in=sources.values()).values_list(
        "prediction_id", "topic__slug"
    ):
        stored_topics.setdefault(pk, []).append(slug)
    # (source slug, key) -> the topics it is to have; None (a file before version 4) leaves them.
    relink: dict[tuple[str, str], list[str]] = {}
    new, changed = [], []
    for (source_slug, key), (values, _) in gathered.predictions.items():
        # By id, so comparing with the current row needs no query per prediction.
        speaker, topics = values["speaker"], values["topics"]
        values = {k: v for k, v in values.items() if k not in ("speaker", "topics")}
        values["speaker_id"] = speakers[speaker].pk if speaker else None
        current = existing.get((source_slug, key))
        if current is None:
            new.append(Prediction(source=sources[source_slug], key=key, **values))
            if topics:
                relink[(source_slug, key)] = topics
            continue
        differs = {k: v for k, v in values.items() if getattr(current, k) != v}
        was = sorted(stored_topics.get(current.pk, []))
        # A change of topics is an edit like any other field's, in the same history row.
        topic_change = [("topics", ", ".join(was), ", ".join(topics))] if topics not in (None, was) else []
        if topic_change:
            relink[(source_slug, key)] = topics
        if differs or topic_change:
            edits[current.pk] = [(k, getattr(current, k), v) for k, v in differs.items()] + topic_change
            for k, v in differs.items():
                setattr(current, k, v)
            current.updated_at = timezone.now()  # auto_now is applied by save(), not bulk_update()
            changed.append(current)
        else:
            result.unchanged["predictions"] += 1
    # In the file's order, so a restore into an empty database numbers them as the file does.
    Prediction.objects.bulk_create(new, batch_size=500)
    Prediction.objects.bulk_update(changed, [*PREDICTION_FIELDS, "speaker", "updated_at"], batch_size=500)
    result.created["predictions"] += len(new)
    result.updated["predictions"] += len(changed)
    ids = {
        (by_source_id[source_id], key): pk
        for source_id, key, pk in Prediction.objects.filter(source__in=sources.values()).values_list(
            "source_id", "key", "pk"
        )
    }
    _link_topics({ids[ident]: topics for ident, topics in relink.items()}, _topic_ids(gathered, result))
    return ids


def _link_topics(topics: dict[int, list[str]], topic_ids: dict[str, int]) -> None:
    """Each prediction given exactly the topics it is to have (its old links replaced)."""
    pending = sorted(topics)
    for start in range(0, len(pending), EVENT_BATCH):
        pks = pending[start : start + EVENT_BATCH]
        PredictionTopic.objects.filter(prediction_id__in=pks).delete()
        PredictionTopic.objects.bulk_create(
            [PredictionTopic(prediction_id=pk, topic_id=topic_ids[slug]) for pk in pks for slug in topics[pk]]
        )


def _write_events(
    path: Path, fmt: str, ids: dict[tuple[str, str], int], users: dict[str, int], result: ImportResult
) -> set[int]:
    """Add the file's events not yet present; the ids of the predictions that got any.

    An event is already present when its prediction has one of the same time and kind:
    that is how a second import of the same file changes nothing. Not the actor too: a
    public export names every reviewer "reviewer", and merging one back would otherwise
    add a copy of each decision to a history that can never drop it again.
    """
    touched: set[int] = set()
    batch: list[Event] = []

    def flush() -> None:
        present = set(
            Event.objects.filter(
                prediction_id__in={e.prediction_id for e in batch}, at__in={e.at for e in batch}
            ).values_list("prediction_id", "at", "kind")
        )
        fresh = []
        for event in batch:
            ident = (event.prediction_id, event.at, event.kind)
            if ident in present:
                result.events_present += 1
                continue
            present.add(ident)  # the same event twice in one file is written once
            fresh.append(event)
            touched.add(event.prediction_id)
        Event.objects.bulk_create(fresh)
        result.events_added += len(fresh)
        batch.clear()

    for _, row, problems in read_export(path, fmt):
        if row is None:  # the file changed since it was checked
            raise ImportProblems(problems)
        if row.event is None:
            continue
        batch.append(
            Event(
                prediction_id=ids[(row.source, row.key)],
                kind=row.event.value,
                at=row.at,
                actor_id=users.get(row.actor),
                actor_name=row.actor,
                from_status=row.from_status,
                to_status=row.to_status,
                from_outcome=row.from_outcome,
                to_outcome=row.to_outcome,
                unresolvable_reason=row.unresolvable_reason,
                review_after=row.review_after,
                known_on=row.known_on,
                note=row.note,
                evidence=row.evidence,
            )
        )
        if len(batch) >= EVENT_BATCH:
            flush()
    if batch:
        flush()
    return touched


def _set_states(touched: set[int], result: ImportResult) -> None:
    now = timezone.now()
    pending = sorted(touched)
    for start in range(0, len(pending), 500):
        ids = pending[start : start + 500]
        histories: dict[int, list[Step]] = {pk: [] for pk in ids}
        for pk, *columns in (
            Event.objects.filter(prediction_id__in=ids)
            .order_by("prediction_id", "at", "id")
            .values_list("prediction_id", *STEP_COLUMNS)
        ):
            histories[pk].append(step_of(*columns))
        changed = []
        for prediction in Prediction.objects.filter(pk__in=ids):
            state = replay(histories[prediction.pk])
            if all(getattr(prediction, k) == v for k, v in state.items()):
                continue
            for k, v in state.items():
                setattr(prediction, k, v)
            # Flags in an imported history were announced where they happened: the digest
            # here must not e-mail them again as newly due.
            if prediction.flagged_at and prediction.notified_at is None:
                prediction.notified_at = prediction.flagged_at
            prediction.version += 1  # a page opened before the import is now stale
            prediction.updated_at = now
            changed.append(prediction)
        Prediction.objects.bulk_update(changed, [*STATE_FIELDS, "notified_at", "version", "updated_at"])
        result.states_changed += len(changed)


def import_history(path: Path, fmt: str) -> ImportResult:
    """Import an export: its predictions (created or updated) and every event not yet here."""
    gathered = _gather(path, fmt)
    result = ImportResult(events_added=0)
    edits: dict[int, list[tuple[str, Any, Any]]] = {}
    with transaction.atomic():
        ids = _write_predictions(gathered, result, edits)
        users = dict(
            get_user_model().objects.filter(username__in=gathered.actors).values_list("username", "pk")
        )
        touched = _write_events(path, fmt, ids, users, result)
        _set_states(touched, result)
        _record_edits(edits, result)
    return result


def _record_edits(edits: dict[int, list[tuple[str, Any, Any]]], result: ImportResult) -> None:
    """An "edited" history row for each existing prediction the import changed, written
    after its state is replayed so that the row stands at the status it leaves."""
    speaker_ids = {
        value
        for changes in edits.values()
        for name, was, now in changes
        if name == "speaker_id"
        for value in (was, now)
    }
    names = dict(Speaker.objects.filter(pk__in=speaker_ids - {None}).values_list("pk", "name"))
    rows = []
    for prediction in Prediction.objects.filter(pk__in=edits).select_related("source").order_by("pk"):
        changes = [
            ("speaker", names.get(was, UNATTRIBUTED_LABEL), names.get(now, UNATTRIBUTED_LABEL))
            if name == "speaker_id"
            else (name, was, now)
            for name, was, now in edits[prediction.pk]
        ]
        rows.append(edit_row(prediction, changes))
        result.edited.append(f"{prediction.source.slug}/{prediction.key}: {', '.join(c[0] for c in changes)}")
    Event.objects.bulk_create(rows, batch_size=EVENT_BATCH)
