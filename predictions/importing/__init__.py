"""Imports: the prediction file (YAML/JSON, `prediction_file.py`) and a resolution-history
export (CSV/JSON Lines, `history.py`). `import_path()` picks one by the file's suffix.

Each import is one transaction, run through `races.retried` with `INSERT_RACE`: an import
that lost a race with another writer (a deadlock, or another import creating the same
speaker, source or prediction first) is run again whole, and after the last attempt is a
"try again" refusal (`races.LostRace`), never a traceback. Both lock the existing
predictions they will change first, in id order, as every writer does."""

from __future__ import annotations

from pathlib import Path

from .. import races
from .base import ImportProblems, ImportResult
from .history import HISTORY_SUFFIXES, import_history
from .prediction_file import load, parse, read_file

__all__ = ["ImportProblems", "ImportResult", "import_history", "import_path", "load", "parse", "read_file"]


def import_path(path: Path, *, missing_only: bool = False) -> ImportResult:
    """Import a file by its kind: .csv/.jsonl are history exports, anything else YAML/JSON.
    `missing_only` (a prediction file only): add what the database lacks, change nothing."""
    fmt = HISTORY_SUFFIXES.get(path.suffix.lower())
    if fmt is not None:
        if missing_only:
            raise ImportProblems([f"{path}: --missing-only is for a prediction file (YAML/JSON)."])
        return races.retried(lambda: import_history(path, fmt), sqlstates=races.INSERT_RACE)
    parsed = parse(read_file(path))
    return races.retried(lambda: load(parsed, missing_only=missing_only), sqlstates=races.INSERT_RACE)
