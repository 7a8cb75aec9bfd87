"""The router on IBKR's hosted Web API: OAuth 1.0a against the simulator's ``webapi`` mode, on
real sockets through the Shield stand-in (SOCKS5 with username and password)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from sluice_order_router.adapters.rest import RestGateway
from sluice_order_router.adapters.rest.errors import OAuthError
from sluice_order_router.adapters.rest.oauth import load_credentials
from sluice_order_router.ports import NotConnectedError
from sluice_proto import Instrument
from sluice_proto.session import ConnectionReport
from sluice_sim.cp import CpSimulator
from tests.egress.fixtures import SHIELD_IP, ShieldProxy, cp_simulator, gateway, rest_settings
from tests.support.orders import approved

pytestmark = pytest.mark.integration

AAPL = Instrument(symbol="AAPL", con_id=265598)


def _webapi_gateway(
    sim: CpSimulator, proxy_url: str, oauth_dir: Path, reports: list[ConnectionReport]
) -> RestGateway:
    """The router's gateway with the credentials found in ``oauth_dir``."""
    creds = load_credentials(oauth_dir, "limited_poa")
    gw = gateway(rest_settings(sim, proxy_url), oauth=creds)

    async def on_connection(report: ConnectionReport) -> None:
        reports.append(report)

    async def ignore(*_: Any) -> None:
        return None

    gw.set_callbacks(ignore, on_connection, ignore)
    return gw


async def test_orders_go_out_signed_and_an_expired_token_is_renewed_without_losing_one(
    shield: ShieldProxy, tmp_path: Path
) -> None:
    reports: list[ConnectionReport] = []
    async with cp_simulator(mode="webapi") as sim:
        oauth_dir = sim.control.write_credentials(tmp_path / "oauth")
        gw = _webapi_gateway(sim, shield.url, oauth_dir, reports)
        try:
            await asyncio.wait_for(gw.connect(), 30)
            first = await gw.place(approved("webapi-1"), AAPL)
            sim.control.expire_lsts()
            second = await gw.place(approved("webapi-2"), AAPL)
            orders = (await gw.snapshot()).orders
        finally:
            await gw.close()
        counters = sim.control.counters()
    assert first.broker_order_id and second.broker_order_id
    assert set(orders) == {"webapi-1", "webapi-2"}  # the refused POST was not placed twice
    assert counters["lst_issued"] == 2
    assert set(counters["oauth_refusals"]) == {"invalid live session token"}
    assert counters["endpoints"]["POST /iserver/auth/ssodh/init"] == 1
    assert set(counters["callers"]) == {SHIELD_IP}
    assert reports[-1].status == "connected"


async def test_an_unknown_consumer_holds_orders(shield: ShieldProxy, tmp_path: Path) -> None:
    reports: list[ConnectionReport] = []
    async with cp_simulator(mode="webapi") as sim:
        oauth_dir = sim.control.write_credentials(tmp_path / "oauth")
        (oauth_dir / "consumer_key").write_text("NOTACONS\n")
        gw = _webapi_gateway(sim, shield.url, oauth_dir, reports)
        try:
            with pytest.raises(OAuthError, match="invalid consumer"):
                await gw.establish()
            with pytest.raises(NotConnectedError):
                await gw.place(approved("held-1"), AAPL)
        finally:
            await gw.close()
        counters = sim.control.counters()
    assert counters["lst_issued"] == 0
    assert "POST /iserver/auth/ssodh/init" not in counters["endpoints"]
    assert reports[-1].status == "disconnected"
