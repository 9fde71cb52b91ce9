"""Reading a YAML/JSON prediction file safely: a size limit, UTF-8 only, no duplicate keys,
no nesting deep enough to exhaust the parser. Every refusal is one line naming the file
(and the line, where there is one).

JSON is read by the JSON parser, not as YAML: YAML is only nearly a superset of JSON. It
splits `json.dump`'s escaped emoji (a surrogate pair, "\\ud83d\\ude80") into two halves that
are not characters, folds a raw NEL (U+0085) into a space, and refuses raw C1 controls and
U+FFFE, all of which are valid JSON. A file named .json is JSON; any other file whose text
starts with { or [ is tried as JSON first, then as YAML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from .base import ImportProblems

# A prediction file is written by hand: the seed is 20 kB. PyYAML builds the whole document
# in memory at ~40x its size, so a limit keeps a wrong file from taking gigabytes. History
# exports (CSV/JSON Lines) are streamed and have no limit.
MAX_FILE_BYTES = 5 * 1024 * 1024
SURROGATE = re.compile("[\ud800-\udfff]")


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice (`slug:` twice, a second
    `predictions:`), which plain YAML and JSON parsers settle by silently keeping the last."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: let SafeLoader say so
                break
            if first is not None:
                raise ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {first})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key {key!r} appears twice")
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (json.loads would keep the last silently)."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise DuplicateKey(key)
        data[key] = value
    return data


def _yaml(path: Path, text: str) -> Any:
    try:
        # YAML is (nearly) a superset of JSON: one parser for a file that is not JSON.
        return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise ImportProblems([f"{path}: not valid YAML or JSON ({' '.join(str(e).split())})."]) from e


def _json(path: Path, text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=unique_keys)
    except DuplicateKey as e:
        # The JSON parser does not say where; YAML's reading of the same text does, if it can.
        try:
            _yaml(path, text)
        except ImportProblems as located:
            if "duplicate key" in located.problems[0]:
                raise located from e
        raise ImportProblems([f"{path}: not valid JSON (duplicate key {e.key!r})."]) from e


def _unpaired_surrogate(data: Any) -> str | None:
    """The first half-pair in any string of `data` (JSON can escape one; no text holds it)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if found := SURROGATE.search(item):
                return found.group()
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def read_document(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportProblems(
                [f"{path}: {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for a prediction file."]
            )
        # utf-8-sig: an editor on Windows may have written a byte-order mark first.
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise ImportProblems([f"{path}: cannot read the file ({e.strerror})."]) from e
    except UnicodeDecodeError as e:
        raise ImportProblems([f"{path}: not UTF-8 text ({e.reason} at byte {e.start})."]) from e
    try:
        if path.suffix.lower() == ".json":
            data = _json(path, text)
        elif text.lstrip().startswith(("{", "[")):
            try:
                data = _json(path, text)
            except (json.JSONDecodeError, ImportProblems):
                data = _yaml(path, text)
        else:
            data = _yaml(path, text)
    except json.JSONDecodeError as e:
        where = f"line {e.lineno} column {e.colno}"
        raise ImportProblems([f"{path}: not valid JSON ({e.msg}: {where})."]) from e
    except RecursionError as e:
        raise ImportProblems([f"{path}: nested too deeply to be a prediction file."]) from e
    if half := _unpaired_surrogate(data):
        raise ImportProblems(
            [
                f"{path}: contains an unpaired surrogate ({half.encode('unicode_escape').decode()}), which "
                "is not a character; write the character itself (JSON may escape it as both halves "
                "of its pair)."
            ]
        )
    return data
