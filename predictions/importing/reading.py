"""Reading a YAML/JSON prediction file safely: a size limit, UTF-8 only, no duplicate keys,
no nesting deep enough to exhaust the parser. Every refusal is one line naming the file
(and the line, where there is one)."""

from __future__ import annotations

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


def read_document(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportProblems(
                [f"{path}: {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for a prediction file."]
            )
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise ImportProblems([f"{path}: cannot read the file ({e.strerror})."]) from e
    except UnicodeDecodeError as e:
        raise ImportProblems([f"{path}: not UTF-8 text ({e.reason} at byte {e.start})."]) from e
    try:
        # YAML is a superset of JSON, so one parser reads both formats.
        return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise ImportProblems([f"{path}: not valid YAML or JSON ({' '.join(str(e).split())})."]) from e
    except RecursionError as e:
        raise ImportProblems([f"{path}: nested too deeply to be a prediction file."]) from e
