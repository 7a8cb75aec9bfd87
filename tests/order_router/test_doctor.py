"""``sluice doctor`` against the simulator: each diagnosis, with its fix."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from ib_async import IB

from sluice_order_router.doctor import Finding, Target, diagnose
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.support.gateway import ACCOUNT
from tests.support.net import free_port


def failed(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if not f.ok]


async def test_healthy_gateway_passes_every_check(tws: TwsServer) -> None:
    findings = await diagnose(Target(port=tws.port, mode="paper", account=ACCOUNT))
    assert failed(findings) == []
    checks = {f.check: f.detail for f in findings}
    assert checks["managed accounts"] == ACCOUNT
    assert "NetLiquidation" in checks["account summary"]
    assert {"server time", "positions", "paper/live"} <= set(checks)


async def test_nothing_listening_is_diagnosed_as_refused() -> None:
    (finding,) = failed(await diagnose(Target(port=free_port())))
    assert "connection refused" in finding.detail
    assert "Enable ActiveX and Socket Clients" in finding.fix


async def test_untrusted_source_ip_is_diagnosed(tws: TwsServer, control: TwsControl) -> None:
    control.set_trusted_ips(["127.0.0.2"])
    (finding,) = failed(await diagnose(Target(port=tws.port)))
    assert "closed the connection at once" in finding.detail
    assert "Trusted IPs" in finding.fix
    assert failed(await diagnose(Target(port=tws.port, bind_address="127.0.0.2"))) == []


async def test_client_id_in_use_is_diagnosed(tws: TwsServer) -> None:
    squatter = IB()
    await squatter.connectAsync("127.0.0.1", tws.port, clientId=99, timeout=5)
    try:
        (finding,) = failed(await diagnose(Target(port=tws.port, client_id=99)))
    finally:
        squatter.disconnect()
    assert "client id 99 is already in use" in finding.detail
    assert "IBKR_CLIENT_ID_POOL" in finding.fix


async def test_paper_live_mismatch_is_diagnosed(tws: TwsServer) -> None:
    (finding,) = failed(await diagnose(Target(port=tws.port, mode="live")))
    assert finding.check == "paper/live"
    assert "are paper" in finding.detail


async def test_live_account_behind_a_paper_port_is_diagnosed() -> None:
    server = TwsServer(TwsConfig(port=0, accounts=("U7654321",)))
    await server.start()
    try:
        (finding,) = failed(await diagnose(Target(port=server.port, mode="paper")))
    finally:
        await server.stop()
    assert "are live" in finding.detail
    assert "paper DU" in finding.fix


async def test_cli_prints_the_fix_and_exits_non_zero() -> None:
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("sluice")), "doctor", "--port", str(free_port()),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await process.communicate()
    assert process.returncode == 1
    text = out.decode()
    assert "FAIL connect" in text
    assert "fix: start IB Gateway / TWS" in text
