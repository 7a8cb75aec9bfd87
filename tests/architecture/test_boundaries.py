"""The import-linter contracts hold on the tree, and they do catch a violation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = f"{extra_path}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / ".importlinter"), "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_tree_keeps_every_contract() -> None:
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_risk_importing_ib_async_breaks_the_check(tmp_path: Path) -> None:
    # A shadow sluice_risk earlier on the path stands in for a careless change to the real one.
    shadow = tmp_path / "sluice_risk"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("")
    (shadow / "domain").mkdir()
    (shadow / "domain" / "__init__.py").write_text("")
    (shadow / "broker.py").write_text("import ib_async\n")

    result = _lint_imports(extra_path=tmp_path)

    assert result.returncode != 0
    assert "Only the order-router talks to IBKR" in result.stdout
    assert "sluice_risk.broker -> ib_async" in result.stdout


def test_a_library_importing_a_service_breaks_the_check(tmp_path: Path) -> None:
    # The arrow that used to run back up: a library reaching into a service (or the CLI).
    shadow = tmp_path / "sluice_runtime"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("")
    (shadow / "compose.py").write_text("import sluice_risk.bootstrap\n")

    result = _lint_imports(extra_path=tmp_path)

    assert result.returncode != 0
    assert "Nothing in proto/ or libs/ imports a service" in result.stdout
    assert "sluice_runtime.compose -> sluice_risk.bootstrap" in result.stdout
