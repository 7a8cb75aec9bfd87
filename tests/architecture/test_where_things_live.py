"""docs/architecture.md's "Where things live" table names files that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
HEADING = "## Where things live"
CODE = re.compile(r"`([^`]+)`")
RULES = (
    "price collar",
    "duplicate order",
    "holding orders in session gaps",
    "egress check",
    "pacing, socket",
    "pacing, REST",
    "paper/live guard",
    "kill switch",
    "reconnect",
    "reconcile",
    "dead-letter queue",
)


def table_rows(markdown: str) -> list[list[str]]:
    """The cells of each body row of the first table under ``HEADING``."""
    section = markdown.split(HEADING, 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def paths_in(cell: str) -> list[str]:
    """The repository paths quoted in a cell (code spans with a slash and a file suffix)."""
    return [code for code in CODE.findall(cell) if "/" in code and Path(code).suffix]


def missing_paths(markdown: str) -> list[str]:
    """The paths the table lists that are not files of the repository."""
    listed = [path for row in table_rows(markdown) for cell in row[1:] for path in paths_in(cell)]
    return [path for path in listed if not (ROOT / path).is_file()]


def test_every_rule_names_its_owner_file() -> None:
    rows = table_rows(ARCHITECTURE.read_text())
    absent = [rule for rule in RULES if not any(row[0].startswith(rule) for row in rows)]
    assert not absent, f"rules missing from the table: {absent}"
    ownerless = [row[0] for row in rows if len(paths_in(row[1])) != 1]
    assert not ownerless, f"rules without exactly one owner file: {ownerless}"


def test_every_listed_path_exists() -> None:
    missing = missing_paths(ARCHITECTURE.read_text())
    assert not missing, f"docs/architecture.md lists files that do not exist: {missing}"


def test_a_moved_file_is_reported() -> None:
    doc = (
        f"{HEADING}\n\n| rule | owner | how |\n|---|---|---|\n"
        "| price collar | `services/risk/sluice_risk/domain/collar.py` | also "
        "`services/risk/sluice_risk/domain/limits.py` |\n\n## Next\n"
    )
    assert missing_paths(doc) == ["services/risk/sluice_risk/domain/collar.py"]
