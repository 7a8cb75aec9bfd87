"""``sluice doctor`` against the simulator: each diagnosis, with its fix."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from ib_async import IB

from sluice_order_router.doctor import Finding, Target, diagnose
from sluice_sim.cp import CpSimulator
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
    assert "--bind / IBKR_BIND_ADDRESS" in finding.fix
    assert failed(await diagnose(Target(port=tws.port, bind_address="127.0.0.2"))) == []


async def test_client_id_in_use_is_diagnosed(tws: TwsServer) -> None:
    squatter = IB()
    await squatter.connectAsync("127.0.0.1", tws.port, clientId=99, timeout=5)
    try:
        (finding,) = failed(await diagnose(Target(port=tws.port, client_id=99)))
    finally:
        squatter.disconnect()
    assert "client id 99 is already in use" in finding.detail
    assert "--client-id" in finding.fix  # the option doctor read, not the router's variable
    assert "IBKR_CLIENT_ID" not in finding.fix


async def test_paper_live_mismatch_is_diagnosed(tws: TwsServer) -> None:
    (finding,) = failed(await diagnose(Target(port=tws.port, mode="live")))
    assert finding.check == "paper/live"
    assert "are paper" in finding.detail
    assert "--mode / TRADING_MODE" in finding.fix


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


async def _hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


async def _say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # until the client goes away
    writer.close()


async def _http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(1)
    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    await writer.drain()
    writer.close()


async def _kafka(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers a Kafka request's header as a broker does: size, the correlation id, an error."""
    with contextlib.suppress(asyncio.IncompleteReadError):
        size = int.from_bytes(await reader.readexactly(4), "big")
        request = await reader.readexactly(size)
        writer.write((6).to_bytes(4, "big") + request[4:8] + b"\x00\x23")
        await writer.drain()
        await reader.read()
    writer.close()


@pytest.mark.parametrize(
    ("handler", "looks_like"),
    [
        (_say_nothing, "a silent listener"),
        (_http, "an HTTP server"),
        (_kafka, "a Kafka broker"),
    ],
)
async def test_another_server_on_the_port_is_not_called_a_trusted_ips_problem(
    handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    looks_like: str,
) -> None:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        (finding,) = failed(await diagnose(Target(port=port, timeout_s=2)))
    finally:
        server.close()
    assert f"is not an IB Gateway/TWS API port: it looks like {looks_like}" in finding.detail
    assert "Trusted IPs" not in finding.fix
    assert "--port / IBKR_PORT" in finding.fix


async def test_a_client_portal_gateway_on_the_port_is_recognised_as_tls() -> None:
    sim = CpSimulator()
    await sim.start()
    try:
        (finding,) = failed(await diagnose(Target(port=sim.port, timeout_s=2)))
    finally:
        await sim.stop()
    assert "it looks like a TLS server" in finding.detail
    assert "--api rest" in finding.fix


async def test_a_port_that_hangs_up_at_once_is_a_trusted_ips_problem() -> None:
    server = await asyncio.start_server(_hang_up, "127.0.0.1", 0)
    try:
        (finding,) = failed(await diagnose(Target(port=server.sockets[0].getsockname()[1])))
    finally:
        server.close()
    assert "closed the connection at once" in finding.detail
    assert "Trusted IPs" in finding.fix
