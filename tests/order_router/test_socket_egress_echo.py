"""The socket path's egress self-check: through an echo URL from the bind address, or, without
one, a plain statement at start and in readiness that IB Gateway's Trusted IPs are the only check.

The echo server here answers with the caller's real address, as api.ipify.org does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from sluice_bus import MemoryBroker, MemoryBus
from sluice_order_router.bootstrap import build, socket_gateway
from sluice_order_router.config import RouterSettings
from sluice_order_router.ports import NotConnectedError
from sluice_order_router.service import RouterService
from sluice_proto import ApprovedOrder, Instrument
from sluice_proto.session import EgressReport
from sluice_proto.topics import SESSION_REPORTS
from sluice_sim.tws.server import TwsServer
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT
from tests.support.polling import eventually

AAPL = Instrument(symbol="AAPL", con_id=265598)


@pytest.fixture
async def echo_url() -> AsyncIterator[str]:
    """An HTTP echo of the caller's IP as JSON (``{"ip": ...}``) on loopback."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = json.dumps({"ip": writer.get_extra_info("peername")[0]}).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
        writer.write(head.encode() + b"\r\nConnection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/"


def egress_reports(broker: MemoryBroker) -> list[EgressReport]:
    return [e for e in topic_events(broker, SESSION_REPORTS) if isinstance(e, EgressReport)]


async def start(tws: TwsServer, **settings: Any) -> tuple[RouterService, MemoryBroker]:
    broker = MemoryBroker()
    bus = MemoryBus(broker, "order-router")
    await bus.start()
    config = RouterSettings(
        ibkr_api="socket", ibkr_account=ACCOUNT, ibkr_port=tws.port, ibkr_client_id=21,
        reconnect_initial_s=0.05, reconnect_max_s=0.2, **settings,
    )  # fmt: skip
    router = build(config, bus).component
    await router.start()
    return router, broker


async def test_the_echo_url_verifies_the_expected_ip_from_the_bind_address(
    tws: TwsServer, echo_url: str
) -> None:
    router, broker = await start(
        tws,
        egress_echo_url=echo_url,
        expected_egress_ips="203.0.113.7, 127.0.0.1",
        ibkr_bind_address="127.0.0.1",
    )
    try:
        await eventually(lambda: router.readiness()[0], within=20, what="router ready")
        (report, *_) = egress_reports(broker)
        assert (report.status, report.ok, report.observed_ip, report.path) == (
            "ok", True, "127.0.0.1", "socket",
        )  # fmt: skip
        assert "egress ok" in router.readiness()[1]
    finally:
        await router.stop()


async def test_an_echoed_ip_that_is_not_expected_holds_trading(
    tws: TwsServer, echo_url: str
) -> None:
    router, broker = await start(tws, egress_echo_url=echo_url, expected_egress_ips="203.0.113.7")
    try:
        await eventually(lambda: bool(egress_reports(broker)), within=20, what="an egress report")
        report = egress_reports(broker)[0]
        assert (report.status, report.ok, report.observed_ip) == ("mismatch", False, "127.0.0.1")
        ready, reason = router.readiness()
        assert not ready
        assert "egress mismatch" in reason and "203.0.113.7" in reason
    finally:
        await router.stop()


async def test_an_echo_url_that_cannot_answer_is_unknown_not_a_mismatch(tws: TwsServer) -> None:
    router, broker = await start(
        tws, egress_echo_url="http://127.0.0.1:9/", expected_egress_ips="203.0.113.7"
    )
    try:
        await eventually(lambda: bool(egress_reports(broker)), within=20, what="an egress report")
        report = egress_reports(broker)[0]
        assert (report.status, report.ok) == ("unknown", False)
        assert not router.readiness()[0]
    finally:
        await router.stop()


async def test_without_an_echo_url_the_router_says_trusted_ips_are_the_only_check(
    tws: TwsServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    router, broker = await start(tws, expected_egress_ips="203.0.113.7")
    try:
        await eventually(lambda: router.readiness()[0], within=20, what="router ready")
        assert "IB Gateway's Trusted IPs are the only check" in router.readiness()[1]
        assert any("Trusted IPs are the only check" in r.getMessage() for r in caplog.records)
        (report,) = egress_reports(broker)
        assert (report.status, report.ok, report.path) == ("unchecked", True, "socket")
    finally:
        await router.stop()


async def test_the_gate_refuses_orders_while_the_echo_disagrees(
    tws: TwsServer, echo_url: str
) -> None:
    bus = MemoryBus(MemoryBroker(), "order-router")
    await bus.start()
    settings = RouterSettings(
        ibkr_api="socket", ibkr_account=ACCOUNT, ibkr_port=tws.port,
        egress_echo_url=echo_url, expected_egress_ips="203.0.113.7",
    )  # fmt: skip
    gate = socket_gateway(settings, bus)
    report = await gate.session_command("check_egress")
    assert isinstance(report, EgressReport) and report.status == "mismatch"
    order = ApprovedOrder(
        client_order_id="egress-1", strategy_id="s", signal_id="1", account=ACCOUNT,
        instrument=AAPL, side="BUY", quantity=Decimal(1), order_type="MKT",
    )  # fmt: skip
    with pytest.raises(NotConnectedError, match="egress mismatch"):
        await gate.place(order, AAPL)
    await gate.close()
    await bus.stop()
