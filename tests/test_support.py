"""Test modules never import each other: what they share is in tests/support.py (helpers)
or tests/conftest.py (fixtures). Importing a fixture from another test module makes pytest
collect it twice and hides where it is defined; importing a helper ties one test module's
edits to another's. This walks every tests/*.py with `ast` so that cannot creep back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def imported_test_modules(source: str) -> list[str]:
    """The `tests.test_*` modules a module's source imports, wherever the import statement is
    (top level, in a function, under `if TYPE_CHECKING`), absolute or relative."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("tests.test_")]
        elif isinstance(node, ast.ImportFrom):
            package = node.module or ""
            if node.level == 0 and package.startswith("tests.test_"):
                found.append(package)
            elif node.level == 1 and package.startswith("test_"):
                found.append(f"tests.{package}")
            elif (node.level == 0 and package == "tests") or (node.level == 1 and not package):
                found += [f"tests.{alias.name}" for alias in node.names if alias.name.startswith("test_")]
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tests.test_scorecard import cells", ["tests.test_scorecard"]),
        ("import tests.test_settings", ["tests.test_settings"]),
        ("import tests.test_settings as s", ["tests.test_settings"]),
        ("from tests import test_serve, support", ["tests.test_serve"]),
        ("from .test_export import rows_of", ["tests.test_export"]),
        ("from . import test_flagging", ["tests.test_flagging"]),
        ("def f(): from tests.test_database_down import fetch", ["tests.test_database_down"]),
        ("from tests.support import cells", []),
        ("from tests.conftest import SEED", []),
        ("from tests.admin_support import form_data", []),
        ("from tests import support", []),
        ("import testsuite.test_x", []),
    ],
)
def test_the_check_sees_every_spelling_of_an_import_of_a_test_module(
    source: str, expected: list[str]
) -> None:
    assert imported_test_modules(source) == expected


def test_no_test_module_imports_another() -> None:
    modules = sorted(TESTS.glob("*.py"))
    # The walk really reads the test modules (a wrong directory would find nothing to refuse).
    assert {"conftest.py", "support.py", "test_support.py", "test_scorecard.py"} <= {m.name for m in modules}
    offenders = {
        module.name: imported
        for module in modules
        if (imported := imported_test_modules(module.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "import shared helpers from tests.support and use fixtures from tests/conftest.py"
