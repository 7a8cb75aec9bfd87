"""docs/simulators.md's fidelity table: every row names a test, and every named test exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "simulators.md"
NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[([^\]`]+)\])?`")
_CELL_BORDER = re.compile(r"(?<!\\)\|")


def table_rows() -> list[list[str]]:
    """The rows of the table under "### Fidelity table", split into cells."""
    text = DOC.read_text()
    section = text[text.index("### Fidelity table") :]
    rows: list[list[str]] = []
    for line in section.splitlines()[1:]:
        if rows and not line.startswith("|"):
            break  # the table ends at its first line that is not a row
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in _CELL_BORDER.split(line)[1:-1]])
    return rows[1:]  # the header


def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_every_row_names_a_test_that_exists() -> None:
    rows = table_rows()
    assert len(rows) >= 20, "the fidelity table went missing or lost rows"
    problems = []
    for behaviour, source, tests in rows:
        nodes = NODE.findall(tests)
        if not nodes or not source:
            problems.append(f"no test or no source: {behaviour[:60]}")
        for file, name, param in nodes:
            path = ROOT / file
            if not path.exists():
                problems.append(f"{file} does not exist")
            elif not name.startswith("test_") or name not in _functions(path):
                problems.append(f"{file} has no test {name}")
            elif param and f'"{param}"' not in path.read_text():
                problems.append(f"{file}::{name} has no parameter {param}")
    assert not problems, problems


def test_the_table_names_every_required_behaviour() -> None:
    behaviours = " ".join(row[0] for row in table_rows())
    for required in (
        "o163", "o354", "o383", "o451", "o10331", "o403", "o10164", "p6",  # the prompts
        "trigger and fill immediately", "Missing order exchange", "what-if",
        "reqHistoricalData", "pacing violation", "tickle",
    ):  # fmt: skip
        assert required in behaviours, required
