"""``sluice doctor --api rest|webapi`` against the Client Portal simulator (gateway and webapi
modes): each check, each diagnosis, and fixes that name the option or variable doctor read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sluice_order_router.adapters.rest.settings import RestSettings
from sluice_order_router.doctor import Finding
from sluice_order_router.doctor_rest import RestApi, RestTarget, diagnose_rest
from sluice_sim.cp import CpSimConfig, CpSimulator, OAuthKeys
from tests.support.cli import ENV, SLUICE

pytestmark = pytest.mark.integration

ACCOUNT = "DU1234567"


def failed(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if not f.ok]


@pytest.fixture(scope="module")
def keys() -> OAuthKeys:
    return OAuthKeys.generate("SLUICEDOC")  # RSA generation is slow: one consumer per module


@pytest.fixture
async def gateway() -> AsyncIterator[CpSimulator]:
    sim = CpSimulator(CpSimConfig())
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def webapi(keys: OAuthKeys) -> AsyncIterator[CpSimulator]:
    sim = CpSimulator(CpSimConfig(mode="webapi"), oauth_keys=keys)
    await sim.start()
    yield sim
    await sim.stop()


def target(sim: CpSimulator, api: RestApi = "cpgateway", **env: object) -> RestTarget:
    values = {
        "IBKR_CP_BASE_URL": sim.base_url(),
        "IBKR_CP_CA_FILE": str(sim.cert_path),
        "SLUICE_EXPECTED_EGRESS_IP": "127.0.0.1",
        **env,
    }
    return RestTarget(api, RestSettings.model_validate(values), ACCOUNT)


async def test_a_healthy_client_portal_gateway_passes_every_check(gateway: CpSimulator) -> None:
    findings = await diagnose_rest(target(gateway))
    assert failed(findings) == []
    checks = {f.check: f.detail for f in findings}
    assert {"reach", "tickle", "authenticated", "connected", "competing"} <= set(checks)
    assert ACCOUNT in checks["accounts"]
    assert "127.0.0.1" in checks["egress IP"]


async def test_a_competing_session_is_diagnosed(gateway: CpSimulator) -> None:
    gateway.control.compete()
    failures = {f.check: f for f in failed(await diagnose_rest(target(gateway)))}
    assert "competing" in failures, failures
    assert "log out of the other session" in failures["competing"].fix
    assert "tickle" not in failures
    assert "competing" in failures["authenticated"].fix


async def test_no_sso_session_says_log_in(gateway: CpSimulator) -> None:
    gateway.control.expire_in(0)
    (finding,) = failed(await diagnose_rest(target(gateway)))
    assert finding.check == "reach" and "401" in finding.detail
    assert f"https://localhost:{gateway.port}" in finding.fix and "log in" in finding.fix


async def test_an_unpinned_certificate_names_the_ca_option(gateway: CpSimulator) -> None:
    unpinned = target(gateway, IBKR_CP_CA_FILE=None)
    (finding,) = failed(await diagnose_rest(unpinned))
    assert "--ca-file / IBKR_CP_CA_FILE" in finding.fix


async def test_an_unexpected_egress_ip_names_the_option(gateway: CpSimulator) -> None:
    (finding,) = failed(
        await diagnose_rest(target(gateway, SLUICE_EXPECTED_EGRESS_IP="203.0.113.7"))
    )
    assert finding.check == "egress IP"
    assert "sees 127.0.0.1, expected 203.0.113.7" in finding.detail
    assert "--expected-ip / SLUICE_EXPECTED_EGRESS_IP" in finding.fix


async def test_webapi_with_good_credentials_passes(webapi: CpSimulator, tmp_path: Path) -> None:
    oauth_dir = webapi.control.write_credentials(tmp_path / "oauth")
    findings = await diagnose_rest(target(webapi, "webapi", IBKR_OAUTH_DIR=str(oauth_dir)))
    assert failed(findings) == []
    checks = {f.check: f.detail for f in findings}
    assert checks["oauth credentials"] == "consumer key SLUICEDOC"
    assert checks["brokerage session"].startswith("opened")
    assert ACCOUNT in checks["accounts"]


async def test_webapi_without_credentials_names_the_variable(webapi: CpSimulator) -> None:
    (finding,) = failed(await diagnose_rest(target(webapi, "webapi")))
    assert finding.check == "oauth credentials"
    assert "--oauth-dir / IBKR_OAUTH_DIR" in finding.fix


async def test_webapi_refusing_the_consumer_points_at_the_files(
    webapi: CpSimulator, tmp_path: Path
) -> None:
    oauth_dir = webapi.control.write_credentials(tmp_path / "oauth")
    (oauth_dir / "consumer_key").write_text("NOTACONS\n")
    (finding,) = failed(
        await diagnose_rest(target(webapi, "webapi", IBKR_OAUTH_DIR=str(oauth_dir)))
    )
    assert "invalid consumer" in finding.detail
    assert "IBKR_OAUTH_DIR" in finding.fix


async def test_cli_checks_the_web_api(webapi: CpSimulator, tmp_path: Path) -> None:
    oauth_dir = webapi.control.write_credentials(tmp_path / "oauth")
    process = await asyncio.create_subprocess_exec(
        *SLUICE, "doctor", "--api", "webapi", "--base-url", webapi.base_url(),
        "--ca-file", str(webapi.cert_path), "--oauth-dir", str(oauth_dir),
        "--expected-ip", "127.0.0.1", "--account", ACCOUNT,
        env=ENV, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    text = out.decode()
    assert process.returncode == 0, text
    for check in ("tickle", "authenticated", "connected", "competing", "accounts", "egress IP"):
        assert f"ok   {check}" in text, text


async def test_cli_bad_setting_is_one_line_and_exit_2() -> None:
    process = await asyncio.create_subprocess_exec(
        *SLUICE, "doctor", "--api", "rest", "--base-url", "http://user:s3cret@gw.example/v1/api",
        env=ENV, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 2, out.decode() + err.decode()
    (line,) = err.decode().splitlines()
    assert line.startswith("configuration error: IBKR_CP_BASE_URL: ")
    assert "s3cret" not in line
