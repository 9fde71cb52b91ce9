"""What both import formats share: the problems report, the result counts, the upsert."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.text import Truncator

from ..actors import IMPORTER
from ..models import NOTE_MAX, Event, EventKind, Prediction
from ..transitions import Step, history_row

MAX_PROBLEMS = 100  # a systematically broken million-row file should not print a million lines


class ImportProblems(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _counts() -> dict[str, int]:
    return {"speakers": 0, "sources": 0, "topics": 0, "predictions": 0}


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=_counts)
    updated: dict[str, int] = field(default_factory=_counts)
    unchanged: dict[str, int] = field(default_factory=_counts)
    # A `missing_only` import: what was there already, left as it is whether or not it
    # matches the file (`unchanged` would claim it does).
    missing_only: bool = False
    present: dict[str, int] = field(default_factory=_counts)
    # Existing predictions the import changed, each with its history row: "source/key: fields".
    edited: list[str] = field(default_factory=list)
    # Set by a history import only: events written, and events the database already had.
    events_added: int | None = None
    events_present: int = 0
    states_changed: int = 0

    def summary(self) -> str:
        parts = []
        # Topics only when the file had any: a file from before them reads as it always did.
        counted = [self.created, self.updated, self.unchanged, self.present]
        topics = ("topics",) if any(counts["topics"] for counts in counted) else ()
        for kind in ("predictions", "speakers", "sources", *topics):
            if self.missing_only:
                parts.append(f"{kind}: {self.created[kind]} added, {self.present[kind]} already present")
                continue
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


# How much of each old and new value an "edited" history row quotes.
QUOTED_CHARS = 300


def _quoted(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    return f"“{Truncator(str(value)).chars(QUOTED_CHARS)}”"


def edit_row(prediction: Prediction, changes: Iterable[tuple[str, Any, Any]]) -> Event:
    """The (unsaved) "edited" history row, by the import, for (field, was, is) `changes` to a
    prediction's own fields: what an import changed is history, like any other change, and
    a person's edit it replaced can be read back from it."""
    what = "; ".join(f"{name}: {_quoted(was)} → {_quoted(now)}" for name, was, now in changes)
    return history_row(
        prediction.pk,
        from_status=prediction.status,
        from_outcome=prediction.outcome,
        step=Step(EventKind.EDITED, timezone.now()),
        actor_id=None,
        actor_name=IMPORTER.name,
        note=Truncator(f"Changed by an import: {what}.").chars(NOTE_MAX),
    )


def capped(problems: list[str]) -> list[str]:
    """At most MAX_PROBLEMS problems, and a last line saying how many more there were."""
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"... and {len(problems) - MAX_PROBLEMS} more problem(s)")
    return shown


def upsert(
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
