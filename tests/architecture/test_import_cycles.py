"""No module of ours imports itself back, not even through a ``TYPE_CHECKING`` import.

The graph comes from grimp (import-linter's own engine), so it sees what the contracts see.
"""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_WORKSPACE_MEMBERS = ("bench", "tests")


def workspace_packages() -> list[str]:
    """The import packages of every uv workspace member."""
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages: list[str] = []
    for member in workspace["tool"]["uv"]["workspace"]["members"]:
        project = tomllib.loads((ROOT / member / "pyproject.toml").read_text())
        packages += project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    return packages


def import_cycles(*packages: str) -> list[tuple[str, ...]]:
    """One shortest cycle per set of modules that import each other, as ``a, b, ..., a``.

    grimp has no cycle finder, but it has shortest chains: a direct import a -> b closes a
    cycle exactly when b reaches a back.
    """
    graph = grimp.build_graph(*packages, cache_dir=None, exclude_type_checking_imports=False)
    cycles: dict[frozenset[str], tuple[str, ...]] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.setdefault(frozenset(back), (importer, *back))
    return list(cycles.values())


def test_no_module_of_ours_is_part_of_an_import_cycle() -> None:
    cycles = import_cycles(*workspace_packages(), *NOT_WORKSPACE_MEMBERS)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_a_type_only_cycle_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The shape the services had: the component imports its HTTP layer, which imports the
    # component back for a type hint only.
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "service.py").write_text("from cyclic import http\n")
    (package / "http.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cyclic.service import S\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    assert import_cycles("cyclic") == [("cyclic.http", "cyclic.service", "cyclic.http")]


def test_every_workspace_package_is_under_the_import_contracts() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    roots = config["importlinter"]["root_packages"].split()
    assert sorted(roots) == sorted(workspace_packages())
