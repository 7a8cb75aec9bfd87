"""No module under tests/ imports a test module: what tests share lives in tests/support.

Importing a ``test_*`` module runs it twice under two names and couples two files' tests; the
check reads every source with ``ast`` (no import, so a broken file cannot hide an offence).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def imported_test_modules(source: str) -> list[str]:
    """The ``test_*`` modules ``source`` imports, however the import is spelled."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _is_test_module(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if _is_test_module(module):
                found.append(module)
            else:  # ``from tests.x import test_y`` imports the module test_y
                found += [f"{module}.{a.name}" for a in node.names if a.name.startswith("test_")]
    return found


def _is_test_module(dotted: str) -> bool:
    return any(part.startswith("test_") for part in dotted.split("."))


def test_no_module_under_tests_imports_a_test_module() -> None:
    offences = {
        str(path.relative_to(TESTS.parent)): found
        for path in sorted(TESTS.rglob("*.py"))
        if (found := imported_test_modules(path.read_text()))
    }
    assert offences == {}, "move what they share into tests/support"


@pytest.mark.parametrize(
    "line",
    [
        "from tests.runtime.test_shutdown import free_port",
        "from test_tws_ib_async import until",  # a folder without __init__.py
        "from .test_router_orders import approved",
        "from tests.order_router import test_router_orders",
        "import tests.cli.test_up",
        "def helper() -> None:\n    from tests.risk.test_state import x\n",
    ],
)
def test_the_check_catches_every_spelling(line: str) -> None:
    assert imported_test_modules(line)


def test_the_check_passes_support_and_library_imports() -> None:
    source = "import pytest\nfrom tests import support\nfrom tests.support.net import free_port\n"
    assert imported_test_modules(source) == []
