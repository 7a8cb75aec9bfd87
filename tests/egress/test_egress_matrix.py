"""The allowlist matrix: through Shield or refused, no leak when it is down, socks5h, expected IP.

Real parts only: the Shield stand-in is a SOCKS5 server process whose outgoing connections
leave from 127.0.0.2, and the CP simulator registers only that address, as IBKR would.
"""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest

from sluice_order_router.adapters.rest.errors import (
    EgressMismatchError,
    ProxyDownError,
    SourceRefusedError,
)
from sluice_order_router.ports import NotConnectedError
from sluice_proto import ApprovedOrder, Instrument
from sluice_proto.session import ConnectionReport, EgressReport
from tests.egress.fixtures import (
    ACCOUNT,
    SHIELD_IP,
    SIM_HOST,
    ShieldProxy,
    cp_simulator,
    gateway,
    rest_settings,
)

pytestmark = pytest.mark.integration

AAPL = Instrument(symbol="AAPL", con_id=265598)


def _order(coid: str) -> ApprovedOrder:
    return ApprovedOrder(
        client_order_id=coid,
        strategy_id="s",
        signal_id=coid,
        account=ACCOUNT,
        instrument=AAPL,
        side="BUY",
        quantity=Decimal(1),
        order_type="MKT",
    )


class Recorder:
    """Collects what the gateway reports."""

    def __init__(self) -> None:
        self.connections: list[ConnectionReport] = []
        self.reports: list[object] = []

    async def on_connection(self, report: ConnectionReport) -> None:
        self.connections.append(report)

    async def on_report(self, report: object) -> None:
        self.reports.append(report)


async def _noop(*_: object) -> None:
    return None


def _wired(settings, recorder: Recorder):  # type: ignore[no-untyped-def]
    gw = gateway(settings, on_session_report=recorder.on_report)
    gw.set_callbacks(_noop, recorder.on_connection, _noop)
    return gw


async def test_requests_through_the_proxy_succeed(shield: ShieldProxy) -> None:
    async with cp_simulator() as sim:
        recorder = Recorder()
        gw = _wired(rest_settings(sim, shield.url), recorder)
        try:
            await gw.connect()
            assert gw.connected
            placed = await gw.place(_order("thru-1"), AAPL)
        finally:
            await gw.close()
    assert placed.broker_order_id
    egress = [r for r in recorder.reports if isinstance(r, EgressReport)]
    assert egress[0].ok and egress[0].observed_ip == SHIELD_IP
    assert recorder.connections[-1].status == "connected"
    assert set(sim.control.counters()["callers"]) == {SHIELD_IP}


async def test_a_router_without_the_proxy_is_refused() -> None:
    async with cp_simulator() as sim:
        recorder = Recorder()
        gw = _wired(rest_settings(sim, None), recorder)
        with pytest.raises(NotConnectedError):
            await gw.establish()
        with pytest.raises(NotConnectedError):
            await gw.place(_order("direct-1"), AAPL)
        await gw.close()
        counters = sim.control.counters()
    assert counters["refused_callers"] == {"127.0.0.1": counters["callers"]["127.0.0.1"]}
    assert recorder.connections[-1].status == "refused"
    assert not gw.connected


async def test_with_the_proxy_down_nothing_leaks_directly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    down = ShieldProxy(tmp_path)  # configured, never started: the door is shut
    async with cp_simulator(allowlist=None) as sim:  # even an open simulator sees nothing
        recorder = Recorder()
        gw = _wired(rest_settings(sim, down.url), recorder)
        with pytest.raises(ProxyDownError):
            await gw.establish()
        with pytest.raises(NotConnectedError):
            await gw.place(_order("down-1"), AAPL)
        await gw.close()
        assert sim.control.counters()["callers"] == {}
    assert recorder.connections[-1].status == "proxy_down"


async def test_socks5h_hands_the_hostname_to_the_proxy_unresolved(shield: ShieldProxy) -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo(SIM_HOST, 443)  # only the proxy side can resolve this name
    plain_socks5 = shield.url.replace("socks5h://", "socks5://")  # normalised to socks5h
    async with cp_simulator() as sim:
        gw = _wired(rest_settings(sim, plain_socks5), Recorder())
        assert gw.client.proxy is not None and gw.client.proxy.url.startswith("socks5h://")
        try:
            await gw.connect()
        finally:
            await gw.close()
        assert f"-> {SIM_HOST}:{sim.port}" in shield.seen_destinations()


async def test_an_expected_ip_mismatch_keeps_trading_disabled(shield: ShieldProxy) -> None:
    async with cp_simulator() as sim:
        recorder = Recorder()
        settings = rest_settings(sim, shield.url, SLUICE_EXPECTED_EGRESS_IP="203.0.113.7")
        gw = _wired(settings, recorder)
        with pytest.raises(EgressMismatchError):
            await gw.establish()
        with pytest.raises(EgressMismatchError):
            await gw.place(_order("mismatch-1"), AAPL)
        report = await gw.session_command("check_egress")
        await gw.close()
        placed = [k for k in sim.control.counters()["endpoints"] if k.startswith("POST /iserver")]
    assert isinstance(report, EgressReport) and not report.ok
    assert report.observed_ip == SHIELD_IP and "203.0.113.7" in report.message
    assert recorder.connections[-1].status == "refused"
    assert placed == []


async def test_refused_source_maps_to_source_refused(shield: ShieldProxy) -> None:
    async with cp_simulator(allowlist=frozenset({"127.0.0.9"})) as sim:
        gw = _wired(rest_settings(sim, shield.url), Recorder())
        report = await gw.session_command("check_egress")
        with pytest.raises(SourceRefusedError):
            await gw.client.request("GET", "/iserver/accounts")
        await gw.close()
    assert isinstance(report, EgressReport) and not report.ok and "403" in report.message
