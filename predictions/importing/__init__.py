"""Imports: the prediction file (YAML/JSON, `prediction_file.py`) and a resolution-history
export (CSV/JSON Lines, `history.py`). `import_path()` picks one by the file's suffix."""

from __future__ import annotations

from pathlib import Path

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
        return import_history(path, fmt)
    return load(parse(read_file(path)), missing_only=missing_only)
