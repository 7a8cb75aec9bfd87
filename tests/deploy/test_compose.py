"""docker-compose.yml: valid Compose, healthy by construction, one IBKR side, one egress door.

No Docker engine runs on CI machines, so the file is checked against the Compose
Specification's JSON Schema (through compose-go, the loader Docker Compose uses; built by
deploy/tools/install-compose-validate.sh) and against our own rules.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
VALIDATOR = ROOT / ".cache" / "bin" / "compose-validate"
ENV_DIR = ROOT / "deploy" / "compose"
PROXY_VARIABLES = {"QUOTAGUARDSHIELD_URL", "SLUICE_EGRESS_PROXY_URL"}
SLUICE_SERVICES = {"market-data", "risk", "session-keeper", "order-router"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def compose_validate(path: Path) -> subprocess.CompletedProcess[str]:
    """Run the Compose schema check on one file."""
    subprocess.run(
        ["bash", str(ROOT / "deploy" / "tools" / "install-compose-validate.sh")],
        check=True,
        capture_output=True,
    )
    return subprocess.run(
        [str(VALIDATOR), str(path)], capture_output=True, text=True, check=False, timeout=60
    )


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def environment(service: dict[str, Any]) -> dict[str, str | None]:
    """The service's environment; None = passed through from the caller's, unset if absent."""
    env = service.get("environment", {})
    if isinstance(env, list):  # the KEY=VALUE list form
        return dict(item.split("=", 1) for item in env)
    return {key: None if value is None else str(value) for key, value in env.items()}


def env_file(name: str) -> dict[str, str]:
    lines = (ENV_DIR / name).read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_validates_against_the_compose_specification() -> None:
    result = compose_validate(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_rejects_what_compose_would_reject(compose: dict[str, Any], tmp_path: Path) -> None:
    """The schema check has teeth: a misspelt key fails it."""
    broken = {**compose, "services": {"kafka": {**compose["services"]["kafka"], "helthcheck": {}}}}
    broken_file = tmp_path / "docker-compose.yml"
    broken_file.write_text(yaml.safe_dump(broken))
    result = compose_validate(broken_file)
    assert result.returncode == 1
    assert "helthcheck" in result.stdout


def test_every_service_has_a_health_check(services: dict[str, dict[str, Any]]) -> None:
    missing = [name for name, svc in services.items() if not svc.get("healthcheck", {}).get("test")]
    assert missing == []
    disabled = [name for name, svc in services.items() if svc["healthcheck"].get("disable")]
    assert disabled == []


def test_kafka_runs_in_kraft_mode_from_the_official_image(
    services: dict[str, dict[str, Any]],
) -> None:
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert environment(kafka)["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert not any(key.startswith("KAFKA_ZOOKEEPER") for key in environment(kafka))


def test_only_the_router_gets_the_egress_proxy(services: dict[str, dict[str, Any]]) -> None:
    holders = {name for name, svc in services.items() if PROXY_VARIABLES & environment(svc).keys()}
    assert holders == {"order-router"}
    # Passed through from the operator's environment (never written into the file), and left
    # unset when absent: an empty string would be an invalid URL, not "no proxy".
    router_env = environment(services["order-router"])
    assert all(router_env[var] is None for var in PROXY_VARIABLES)


def test_sluice_services_are_built_per_service_and_hardened(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in SLUICE_SERVICES:
        svc = services[name]
        assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
        assert svc["build"]["args"]["SERVICE"] == name.replace("-", "_")
        assert svc["read_only"] is True
        assert svc["user"] == "10001:10001"
        assert "/tmp" in svc["tmpfs"]
        assert environment(svc)["SLUICE_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert environment(svc)["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
        assert svc["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_compose_never_trades_live(services: dict[str, dict[str, Any]]) -> None:
    """Live needs the 4001 loopback layout of the Kubernetes sidecar; compose is paper only."""
    modes = {environment(svc).get("TRADING_MODE") for svc in services.values()} - {None}
    assert modes == {"paper"}
    gateway_env = environment(services["ib-gateway"])
    assert gateway_env["READ_ONLY_API"] == "${IB_GATEWAY_READ_ONLY_API:-yes}"
    assert gateway_env["TRADING_MODE"] == "paper"


def test_default_ibkr_side_is_the_bundled_simulator(services: dict[str, dict[str, Any]]) -> None:
    router_env = environment(services["order-router"])
    assert router_env["IBKR_HOST"] == "${IBKR_HOST:-ibkr-sim}"
    assert router_env["IBKR_PORT"] == "${IBKR_PORT:-4002}"
    assert "profiles" not in services["ibkr-sim"]
    assert "4002" in services["ibkr-sim"]["command"]


@pytest.mark.parametrize(
    ("env_name", "profile", "target"),
    [
        ("sim-cp.env", "sim-cp", "ibkr-sim-cp"),
        ("ib-gateway.env", "ib-gateway", "ib-gateway"),
        ("client-portal.env", "client-portal", "client-portal"),
    ],
)
def test_each_env_file_switches_profile_and_router_together(
    services: dict[str, dict[str, Any]], env_name: str, profile: str, target: str
) -> None:
    env = env_file(env_name)
    assert env["COMPOSE_PROFILES"] == profile
    assert services[target]["profiles"] == [profile]
    endpoint = env.get("IBKR_HOST") or env["IBKR_CP_BASE_URL"]
    assert target in endpoint
    assert not PROXY_VARIABLES & env.keys()
    assert not {"TWS_PASSWORD", "IBEAM_PASSWORD"} & env.keys()


@pytest.mark.parametrize(
    ("env_name", "api"),
    [
        ("ib-gateway.env", "socket"),
        ("sim-cp.env", "cpgateway"),
        ("client-portal.env", "cpgateway"),
        ("webapi-shield.env", "webapi"),
    ],
)
def test_each_env_file_names_its_egress_topology(env_name: str, api: str) -> None:
    assert env_file(env_name)["IBKR_API"] == api


def test_webapi_reads_its_oauth_files_from_a_read_only_mount(
    services: dict[str, dict[str, Any]],
) -> None:
    env = env_file("webapi-shield.env")
    assert "COMPOSE_PROFILES" not in env  # no IBKR-side container: the router goes to IBKR
    assert not PROXY_VARIABLES & env.keys()  # the Shield URL comes from the shell only
    mounts = [v.rsplit(":", 2) for v in services["order-router"]["volumes"]]
    assert [env["IBKR_OAUTH_DIR"], "ro"] in [m[1:] for m in mounts]
    router_env = environment(services["order-router"])
    assert {"IBKR_OAUTH_DIR", "SLUICE_EGRESS_ECHO_URL", "SLUICE_EGRESS_DIRECT"} <= router_env.keys()
    assert (ROOT / "deploy/compose/oauth/.gitignore").read_text().startswith("*\n")


def test_real_gateways_are_read_only_by_default() -> None:
    assert env_file("ib-gateway.env")["IB_GATEWAY_READ_ONLY_API"] == "yes"
    assert env_file("ib-gateway.env")["IBKR_READ_ONLY"] == "true"
    assert env_file("client-portal.env")["IBKR_READ_ONLY"] == "true"
    assert env_file("webapi-shield.env")["IBKR_READ_ONLY"] == "true"
