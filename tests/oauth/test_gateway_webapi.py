"""``RestGateway`` on the hosted Web API (OAuth): the brokerage session is opened first, and a
refused token holds orders while the keeper loop retries.

The gateway's httpx client is pointed at the in-process stand-in by swapping the transport in;
tests/rest/test_webapi_oauth.py runs the router against the simulator on real sockets.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice_order_router.adapters.rest.errors import OAuthError
from sluice_order_router.adapters.rest.gateway import RestGateway
from sluice_order_router.adapters.rest.limiter import GLOBAL, Limit
from sluice_order_router.adapters.rest.oauth import load_credentials
from sluice_order_router.adapters.rest.settings import RestSettings
from sluice_order_router.ports import NotConnectedError
from sluice_proto import Instrument
from sluice_proto.session import ConnectionReport
from tests.support import oauth
from tests.support.gateway import ACCOUNT
from tests.support.orders import approved
from tests.support.polling import eventually

ORDER = approved("c1", instrument=Instrument(symbol="AAPL", con_id=265598))
ROUTES = {
    "POST /iserver/auth/ssodh/init": {"authenticated": True, "connected": True, "competing": False},
    "GET /sso/validate": {"IP": "203.0.113.7"},
    "GET /iserver/accounts": {"accounts": [ACCOUNT]},
    "GET /iserver/account/orders": {"orders": [], "snapshot": True},
    "GET /iserver/account/trades": [],
}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> oauth.FakeWebApi:
    server = oauth.FakeWebApi(routes=dict(ROUTES))
    real = httpx.AsyncClient

    def to_server(**kwargs: Any) -> httpx.AsyncClient:
        return real(**kwargs, transport=httpx.MockTransport(server.handler))

    monkeypatch.setattr(httpx, "AsyncClient", to_server)
    return server


@pytest.fixture
async def gateway(
    tmp_path: Path, server: oauth.FakeWebApi
) -> AsyncIterator[tuple[RestGateway, list[ConnectionReport]]]:
    settings = RestSettings(
        base_url="https://api.ibkr.test/v1/api", reconnect_initial_s=0.01, reconnect_max_s=0.05
    )
    creds = load_credentials(oauth.write_credentials(tmp_path / "oauth"), oauth.REALM)
    gw = RestGateway(settings, ACCOUNT, limits={GLOBAL: Limit(1000, 1.0)}, oauth=creds)
    reports: list[ConnectionReport] = []

    async def on_connection(report: ConnectionReport) -> None:
        reports.append(report)

    async def ignore(_: Any) -> None:
        return None

    gw.set_callbacks(ignore, on_connection, ignore)
    yield gw, reports
    await gw.close()


def requests(server: oauth.FakeWebApi) -> list[str]:
    return [f"{r.method} {r.url.path.removeprefix('/v1/api')}" for r in server.seen]


async def test_connect_acquires_the_token_then_opens_the_brokerage_session(
    gateway: tuple[RestGateway, list[ConnectionReport]], server: oauth.FakeWebApi
) -> None:
    gw, reports = gateway
    await asyncio.wait_for(gw.connect(), 10)
    assert gw.connected
    assert requests(server)[:4] == [
        "POST /oauth/live_session_token",
        "POST /iserver/auth/ssodh/init",
        "GET /sso/validate",
        "GET /iserver/accounts",
    ]
    assert json.loads(server.seen[1].content) == {"publish": True, "compete": True}
    assert reports[-1].status == "connected"


async def test_a_refused_token_holds_orders_and_the_keeper_retries_until_it_is_issued(
    gateway: tuple[RestGateway, list[ConnectionReport]], server: oauth.FakeWebApi
) -> None:
    gw, reports = gateway
    server.lst_status = 401
    with pytest.raises(OAuthError):
        await gw.establish()
    assert reports[-1].status == "disconnected"
    assert "invalid consumer" in reports[-1].message
    with pytest.raises(NotConnectedError):  # the application layer holds the order
        await gw.place(ORDER, ORDER.instrument)
    connecting = asyncio.create_task(gw.connect())
    await eventually(lambda: len(server.seen) >= 3, within=10, what="token retries")
    assert not connecting.done()
    server.lst_status = None
    await asyncio.wait_for(connecting, 10)
    assert gw.connected and reports[-1].status == "connected"
