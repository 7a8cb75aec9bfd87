"""deploy/observability validates: promtool checks the rules (and runs their unit tests), the
Prometheus config and every dashboard query; every metric they name is one the services show."""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.order_lifecycle import Lifecycle

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"
ALERTS = OBSERVABILITY / "alerts.yml"
DASHBOARD = OBSERVABILITY / "grafana" / "dashboards" / "sluice.json"
DATASOURCES = OBSERVABILITY / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
PROMTOOL = ROOT / ".cache" / "bin" / "promtool"
METRIC_NAME = re.compile(r"\bsluice_[a-z_]+\b")
SAMPLE_SUFFIX = re.compile(r"_(total|bucket|count|sum)$")


@cache
def promtool() -> Path:
    """The pinned promtool, built on first use (``make tools`` normally has built it)."""
    install = ROOT / "deploy" / "tools" / "install-promtool.sh"
    subprocess.run(["bash", str(install)], check=True, capture_output=True)
    return PROMTOOL


def run_promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [str(promtool()), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def queries() -> list[str]:
    """Every PromQL expression of the dashboard's panels."""
    return [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]


def alert_expressions() -> list[str]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def test_the_alert_rules_pass_promtool_check_rules() -> None:
    result = run_promtool("check", "rules", ALERTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_fires_on_what_it_watches() -> None:
    result = run_promtool("test", "rules", OBSERVABILITY / "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_prometheus_config_passes_promtool() -> None:
    result = run_promtool("check", "config", "--syntax-only", OBSERVABILITY / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_a_broken_expression(tmp_path: Path) -> None:
    """The check has teeth: an unbalanced parenthesis fails it."""
    rules = tmp_path / "broken.yml"
    broken = {"groups": [{"name": "x", "rules": [{"alert": "X", "expr": "sum(sluice_ready"}]}]}
    rules.write_text(yaml.safe_dump(broken))
    assert run_promtool("check", "rules", rules).returncode != 0


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    """Each query as a recording rule, so promtool parses it as Prometheus would."""
    rules = [{"record": f"dashboard:query_{n}", "expr": e} for n, e in enumerate(queries())]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = run_promtool("check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dashboard_is_well_formed_and_uses_the_provisioned_datasource() -> None:
    board = dashboard()
    uid = yaml.safe_load(DATASOURCES.read_text())["datasources"][0]["uid"]
    panels = board["panels"]
    assert board["uid"] and board["title"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in (p for p in panels if p["type"] != "row"):
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys(), panel["title"]


@pytest.mark.integration
def test_every_metric_the_dashboard_and_alerts_name_is_served(lifecycle: Lifecycle) -> None:
    served = set().union(*(scrape.names for scrape in lifecycle.after.values()))
    named = {m for expr in [*queries(), *alert_expressions()] for m in METRIC_NAME.findall(expr)}
    assert named, "no sluice_ metric found in the dashboard and rules"
    # a labelled metric with no series yet shows only its family name (no ``_total`` sample)
    missing = {m for m in named - served if SAMPLE_SUFFIX.sub("", m) not in served}
    assert sorted(missing) == []
