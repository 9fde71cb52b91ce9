"""Load a prediction file (see schemas.PredictionFile) into the database, or an export of
the resolution history (schemas.ExportRow, CSV or JSON Lines) with its whole history.

Every record is validated first and every problem reported with its record and field;
nothing is written unless the whole file is good, and then in one transaction.
Importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from .models import Event, EventKind, Prediction, Source, Speaker, Status, default_due_on
from .schemas import EXPORT_FIELDS, ExportRow, PredictionFile, csv_uncell


class ImportProblems(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _counts() -> dict[str, int]:
    return {"speakers": 0, "sources": 0, "predictions": 0}


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=_counts)
    updated: dict[str, int] = field(default_factory=_counts)
    unchanged: dict[str, int] = field(default_factory=_counts)
    # Set by a history import only: events written, and events the database already had.
    events_added: int | None = None
    events_present: int = 0
    states_changed: int = 0

    def summary(self) -> str:
        parts = []
        for kind in ("predictions", "speakers", "sources"):
            parts.append(
                f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, "
                f"{self.unchanged[kind]} unchanged"
            )
        if self.events_added is not None:
            parts.append(
                f"events: {self.events_added} added, {self.events_present} already present; "
                f"{self.states_changed} prediction status(es) set from their history"
            )
        return "; ".join(parts)


def read_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ImportProblems([f"{path}: cannot read the file ({e.strerror})."]) from e
    try:
        # YAML is a superset of JSON, so one parser reads both formats.
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ImportProblems([f"{path}: not valid YAML or JSON ({e})."]) from e


def _record_name(data: Any, loc: tuple[Any, ...]) -> str:
    """'predictions[3] (key "x")' for a location inside the file."""
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        name = f"{loc[0]}[{loc[1]}]"
        try:
            record = data[loc[0]][loc[1]]
            ident = record.get("key") or record.get("slug")
        except (KeyError, IndexError, TypeError, AttributeError):
            ident = None
        return f'{name} ({"key" if loc[0] == "predictions" else "slug"} "{ident}")' if ident else name
    return "file"


def validation_problems(data: Any, error: ValidationError) -> list[str]:
    problems = []
    for err in error.errors():
        loc = tuple(err["loc"])
        record = _record_name(data, loc)
        fields = [str(p) for p in loc[2:]] if record != "file" else [str(p) for p in loc]
        where = ".".join(fields) or ("due_on" if "due_on" in err["msg"] else "record")
        msg = err["msg"].removeprefix("Value error, ")
        problems.append(f"{record}: {where}: {msg}")
    return problems


def parse(data: Any) -> PredictionFile:
    if not isinstance(data, dict):
        raise ImportProblems(
            ["file: the top level must be a mapping with speakers, sources and predictions."]
        )
    try:
        parsed = PredictionFile.model_validate(data)
    except ValidationError as e:
        raise ImportProblems(validation_problems(data, e)) from e
    problems = _cross_check(parsed)
    if problems:
        raise ImportProblems(problems)
    return parsed


def _cross_check(parsed: PredictionFile) -> list[str]:
    problems: list[str] = []
    for kind, items, ident in (
        ("speakers", parsed.speakers, "slug"),
        ("sources", parsed.sources, "slug"),
    ):
        seen: set[str] = set()
        for i, item in enumerate(items):
            value = getattr(item, ident)
            if value in seen:
                problems.append(f'{kind}[{i}] (slug "{value}"): slug: appears twice in the file')
            seen.add(value)
    speakers = {s.slug for s in parsed.speakers} | set(
        Speaker.objects.filter(slug__in={p.speaker for p in parsed.predictions if p.speaker}).values_list(
            "slug", flat=True
        )
    )
    sources = {s.slug: s for s in parsed.sources}
    known_sources = dict(
        Source.objects.filter(slug__in={p.source for p in parsed.predictions}).values_list(
            "slug", "published_on"
        )
    )
    seen_keys: set[tuple[str, str]] = set()
    for i, p in enumerate(parsed.predictions):
        name = f'predictions[{i}] (key "{p.key}")'
        if (p.source, p.key) in seen_keys:
            problems.append(f"{name}: key: appears twice for source {p.source!r}")
        seen_keys.add((p.source, p.key))
        if p.speaker and p.speaker not in speakers:
            problems.append(f"{name}: speaker: unknown speaker {p.speaker!r}")
        if p.source not in sources and p.source not in known_sources:
            problems.append(f"{name}: source: unknown source {p.source!r}")
            continue
        stated = p.stated_on or (
            sources[p.source].published_on if p.source in sources else known_sources[p.source]
        )
        due = p.due_on or default_due_on(p.horizon, stated, p.horizon_as_said)
        if due < stated:
            problems.append(f"{name}: due_on: {due} is before stated_on {stated}")
    return problems


def _upsert(
    model: type, lookup: dict[str, Any], values: dict[str, Any], result: ImportResult, kind: str
) -> Any:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        result.created[kind] += 1
        return model.objects.create(**lookup, **values)
    changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
    if changed:
        for k, v in changed.items():
            setattr(obj, k, v)
        obj.save(update_fields=[*changed, *(["updated_at"] if hasattr(obj, "updated_at") else [])])
        result.updated[kind] += 1
    else:
        result.unchanged[kind] += 1
    return obj


def load(parsed: PredictionFile) -> ImportResult:
    """Write a validated file. Descriptive fields follow the file; a prediction's status,
    outcome and history are never touched by an import."""
    result = ImportResult()
    with transaction.atomic():
        speakers = {
            s.slug: s
            for s in Speaker.objects.filter(slug__in={p.speaker for p in parsed.predictions if p.speaker})
        }
        for s in parsed.speakers:
            speakers[s.slug] = _upsert(
                Speaker, {"slug": s.slug}, {"name": s.name, "bio": s.bio, "url": s.url}, result, "speakers"
            )
        sources = {s.slug: s for s in Source.objects.filter(slug__in={p.source for p in parsed.predictions})}
        for s in parsed.sources:
            sources[s.slug] = _upsert(
                Source,
                {"slug": s.slug},
                {"title": s.title, "kind": s.kind, "url": s.url, "published_on": s.published_on},
                result,
                "sources",
            )
        for p in parsed.predictions:
            source = sources[p.source]
            stated = p.stated_on or source.published_on
            _upsert(
                Prediction,
                {"source": source, "key": p.key},
                {
                    "speaker": speakers[p.speaker] if p.speaker else None,
                    "claim": p.claim,
                    "quote": p.quote,
                    "section": p.section,
                    "source_timestamp": p.source_timestamp,
                    "horizon": p.horizon.value,
                    "horizon_as_said": p.horizon_as_said,
                    "stated_on": stated,
                    "due_on": p.due_on or default_due_on(p.horizon, stated, p.horizon_as_said),
                    "resolution_criteria": p.resolution_criteria,
                    "probability": p.probability,
                },
                result,
                "predictions",
            )
    return result


def import_path(path: Path) -> ImportResult:
    """Import a file by its kind: .csv/.jsonl are history exports, anything else YAML/JSON."""
    fmt = HISTORY_SUFFIXES.get(path.suffix.lower())
    if fmt is not None:
        return import_history(path, fmt)
    return load(parse(read_file(path)))


# --- History exports (schemas.ExportRow) read back ---------------------------------------
#
# Two passes over the file, so that memory grows with the number of predictions, not of
# events: the first validates every row and gathers speakers, sources and predictions;
# the second, inside the one transaction, writes the events in batches. A prediction's
# status, outcome, reason, review date and stamps are then recomputed from its whole
# history in the database (events already there plus those added), in (at, id) order.

HISTORY_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_PROBLEMS = 100  # a systematically broken million-row file should not print a million lines
EVENT_BATCH = 1000
PREDICTION_FIELDS = (
    "speaker",
    "claim",
    "quote",
    "section",
    "source_timestamp",
    "horizon",
    "horizon_as_said",
    "stated_on",
    "due_on",
    "resolution_criteria",
    "probability",
)
SOURCE_FIELDS = ("title", "kind", "url", "published_on")


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
            data = json.loads(line)
        except json.JSONDecodeError as e:
            yield number, None, f"row {number}: not valid JSON ({e.msg})"
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
    missing = [name for name in EXPORT_FIELDS if name not in header]
    unknown = [name for name in header if name not in EXPORT_FIELDS]
    if missing or unknown:
        what = [f"missing column(s) {', '.join(missing)}"] if missing else []
        what += [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
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


def _same(
    seen: dict[Any, tuple[Any, int]], ident: Any, value: Any, number: int, name: str, problems: list[str]
) -> None:
    """Remember the first row's value for `ident`; name every field a later row contradicts."""
    if ident not in seen:
        seen[ident] = (value, number)
        return
    first, first_row = seen[ident]
    if isinstance(value, dict):
        for key, v in value.items():
            if first[key] != v:
                problems.append(f"{name}: {key}: {v!r} differs from row {first_row} ({first[key]!r})")
    elif first != value:
        problems.append(f"{name}: differs from row {first_row} ({first!r} there, {value!r} here)")


def _gather(path: Path, fmt: str) -> _Gathered:
    gathered = _Gathered()
    problems: list[str] = []
    for number, row, row_problems in read_export(path, fmt):
        problems.extend(row_problems)
        if row is None:
            continue
        name = f'row {number} (key "{row.key}")'
        if row.speaker:
            _same(gathered.speakers, row.speaker, row.speaker_name, number, f"{name}: speaker_name", problems)
        source = {
            "title": row.source_title,
            "kind": row.source_kind.value,
            "url": row.source_url,
            "published_on": row.source_published_on,
        }
        _same(gathered.sources, row.source, source, number, name, problems)
        prediction = {f: getattr(row, f) for f in PREDICTION_FIELDS}
        prediction["horizon"] = row.horizon.value
        _same(gathered.predictions, (row.source, row.key), prediction, number, name, problems)
        if row.event is not None:
            gathered.actors.add(row.actor)
    if not problems and not gathered.predictions:
        problems.append("file: no rows; an export holds at least one row per prediction")
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more problem(s)")
        raise ImportProblems(shown)
    return gathered


def _write_predictions(gathered: _Gathered, result: ImportResult) -> dict[tuple[str, str], int]:
    """Upsert speakers, sources and predictions; the (source slug, key) -> id map."""
    speakers = {
        slug: _upsert(Speaker, {"slug": slug}, {"name": name}, result, "speakers")
        for slug, (name, _) in gathered.speakers.items()
    }
    sources = {
        slug: _upsert(Source, {"slug": slug}, values, result, "sources")
        for slug, (values, _) in gathered.sources.items()
    }
    by_source_id = {s.pk: slug for slug, s in sources.items()}
    existing = {
        (by_source_id[p.source_id], p.key): p for p in Prediction.objects.filter(source__in=sources.values())
    }
    new, changed = [], []
    for (source_slug, key), (values, _) in gathered.predictions.items():
        # By id, so comparing with the current row needs no query per prediction.
        speaker = values["speaker"]
        values = {k: v for k, v in values.items() if k != "speaker"}
        values["speaker_id"] = speakers[speaker].pk if speaker else None
        current = existing.get((source_slug, key))
        if current is None:
            new.append(Prediction(source=sources[source_slug], key=key, **values))
            continue
        differs = {k: v for k, v in values.items() if getattr(current, k) != v}
        if differs:
            for k, v in differs.items():
                setattr(current, k, v)
            current.updated_at = timezone.now()  # auto_now is applied by save(), not bulk_update()
            changed.append(current)
        else:
            result.unchanged["predictions"] += 1
    # In the file's order, so a restore into an empty database numbers them as the file does.
    Prediction.objects.bulk_create(new, batch_size=500)
    Prediction.objects.bulk_update(changed, [*PREDICTION_FIELDS, "updated_at"], batch_size=500)
    result.created["predictions"] += len(new)
    result.updated["predictions"] += len(changed)
    return {
        (by_source_id[source_id], key): pk
        for source_id, key, pk in Prediction.objects.filter(source__in=sources.values()).values_list(
            "source_id", "key", "pk"
        )
    }


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
                note=row.note,
                evidence=row.evidence,
            )
        )
        if len(batch) >= EVENT_BATCH:
            flush()
    if batch:
        flush()
    return touched


STATE_FIELDS = ("status", "outcome", "unresolvable_reason", "review_after", "flagged_at", "resolved_at")


def state_from_history(events: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    """A prediction's current state from its events, oldest first, as decisions.py and
    tasks.flag_due() would have left it: (kind, at, to_status, to_outcome, reason, review_after)."""
    state: dict[str, Any] = {
        "status": Status.OPEN,
        "outcome": "",
        "unresolvable_reason": "",
        "review_after": None,
        "flagged_at": None,
        "resolved_at": None,
    }
    for kind, at, to_status, to_outcome, reason, review_after in events:
        state.update(status=to_status, outcome=to_outcome, unresolvable_reason=reason)
        if kind == EventKind.FLAGGED:
            state["flagged_at"] = at
        elif kind == EventKind.DEFERRED:
            state["review_after"] = review_after
        elif kind in (EventKind.RESOLVED, EventKind.RERESOLVED):
            state.update(resolved_at=at, review_after=None)
        elif kind == EventKind.REOPENED:
            state["resolved_at"] = None
    return state


def _set_states(touched: set[int], result: ImportResult) -> None:
    now = timezone.now()
    pending = sorted(touched)
    for start in range(0, len(pending), 500):
        ids = pending[start : start + 500]
        histories: dict[int, list[tuple[Any, ...]]] = {pk: [] for pk in ids}
        for pk, *event in (
            Event.objects.filter(prediction_id__in=ids)
            .order_by("prediction_id", "at", "id")
            .values_list(
                "prediction_id",
                "kind",
                "at",
                "to_status",
                "to_outcome",
                "unresolvable_reason",
                "review_after",
            )
        ):
            histories[pk].append(tuple(event))
        changed = []
        for prediction in Prediction.objects.filter(pk__in=ids):
            state = state_from_history(histories[prediction.pk])
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
    with transaction.atomic():
        ids = _write_predictions(gathered, result)
        users = dict(
            get_user_model().objects.filter(username__in=gathered.actors).values_list("username", "pk")
        )
        touched = _write_events(path, fmt, ids, users, result)
        _set_states(touched, result)
    return result
