"""``IbkrOAuth`` as httpx's auth flow against a stand-in Web API (in-process MockTransport):
the token is acquired once, renewed before expiry, re-acquired once after a 401."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from sluice_order_router.adapters.rest.errors import OAuthError
from sluice_order_router.adapters.rest.oauth import IbkrOAuth, load_credentials
from sluice_order_router.ports import NotConnectedError
from tests.support import oauth

BASE = "https://api.ibkr.test/v1/api"
LST_URL = f"{BASE}/oauth/live_session_token"


@pytest.fixture
def server() -> oauth.FakeWebApi:
    return oauth.FakeWebApi()


@pytest.fixture
def paced() -> list[str]:
    return []


@pytest.fixture
def auth(tmp_path: Path, server: oauth.FakeWebApi, paced: list[str]) -> IbkrOAuth:
    creds = load_credentials(oauth.write_credentials(tmp_path / "oauth"), oauth.REALM)

    async def pace(request: httpx.Request) -> None:
        paced.append(f"{request.method} {request.url.path}")

    return IbkrOAuth(creds, LST_URL, pace=pace, clock=lambda: server.now)


@pytest.fixture
async def client(server: oauth.FakeWebApi, auth: IbkrOAuth) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=BASE, transport=httpx.MockTransport(server.handler), auth=auth
    )


def paths(server: oauth.FakeWebApi) -> list[str]:
    return [request.url.path.removeprefix("/v1/api") for request in server.seen]


async def test_the_first_request_acquires_a_token_and_every_request_is_signed(
    client: httpx.AsyncClient, server: oauth.FakeWebApi, paced: list[str]
) -> None:
    query = {"conids": "265598,8314", "q": "a b&c~é+/"}
    assert (await client.get("/iserver/marketdata/snapshot", params=query)).status_code == 200
    assert (await client.post("/iserver/auth/ssodh/init", json={"publish": True})).is_success
    assert (await client.post("/tickle")).is_success
    assert server.issued == 1 and server.refused == 0
    assert paths(server) == [
        "/oauth/live_session_token",
        "/iserver/marketdata/snapshot",
        "/iserver/auth/ssodh/init",
        "/tickle",
    ]
    assert paced == ["POST /v1/api/oauth/live_session_token"]
    assert server.seen[0].headers["User-Agent"] == server.seen[1].headers["User-Agent"]


async def test_concurrent_requests_share_one_token_request(
    client: httpx.AsyncClient, server: oauth.FakeWebApi
) -> None:
    answers = await asyncio.gather(*(client.get(f"/probe/{i}") for i in range(5)))
    assert all(answer.status_code == 200 for answer in answers)
    assert server.issued == 1


async def test_the_token_is_renewed_before_it_expires(
    client: httpx.AsyncClient, server: oauth.FakeWebApi, auth: IbkrOAuth
) -> None:
    server.lst_life_s = 100.0  # renewal margin: 10 s
    await client.get("/tickle")
    first = auth.token
    assert first is not None
    server.now = first.expires_at - 11
    await client.get("/tickle")
    assert server.issued == 1
    server.now = first.expires_at - 9  # the server still takes the old token: renewal is early
    assert (await client.get("/tickle")).status_code == 200
    assert server.issued == 2 and server.refused == 0
    assert auth.token is not None and auth.token.expires_at > first.expires_at


async def test_a_401_acquires_a_new_token_and_retries_once(
    client: httpx.AsyncClient, server: oauth.FakeWebApi, paced: list[str]
) -> None:
    await client.get("/tickle")
    server.revoke()  # e.g. the token expired early on IBKR's side
    assert (await client.post("/iserver/account/U1/orders", json={"orders": []})).is_success
    assert server.issued == 2 and server.refused == 1
    assert paths(server)[1:] == [
        "/tickle",
        "/iserver/account/U1/orders",
        "/oauth/live_session_token",
        "/iserver/account/U1/orders",
    ]
    assert paced[-2:] == [
        "POST /v1/api/iserver/account/U1/orders",
        "POST /v1/api/oauth/live_session_token",
    ]


async def test_a_401_that_persists_is_let_through_after_one_new_token(
    client: httpx.AsyncClient, server: oauth.FakeWebApi
) -> None:
    server.accept_requests = False
    assert (await client.get("/tickle")).status_code == 401
    assert server.issued == 2 and server.refused == 2


async def test_a_refused_token_request_is_an_oauth_error_that_holds_orders(
    client: httpx.AsyncClient, server: oauth.FakeWebApi, auth: IbkrOAuth
) -> None:
    server.lst_status = 401
    with pytest.raises(OAuthError, match="invalid consumer") as caught:
        await client.get("/tickle")
    assert isinstance(caught.value, NotConnectedError)
    assert auth.token is None
    server.lst_status = None
    assert (await client.get("/tickle")).status_code == 200  # the next attempt starts afresh


async def test_a_token_with_a_wrong_signature_is_never_used(
    client: httpx.AsyncClient, server: oauth.FakeWebApi, auth: IbkrOAuth
) -> None:
    server.bad_lst_signature = True
    with pytest.raises(OAuthError, match="does not match"):
        await client.get("/tickle")
    assert auth.token is None
    assert paths(server) == ["/oauth/live_session_token"]


@pytest.mark.parametrize("status", [403, 429, 503])
async def test_source_refusal_rate_limit_and_outage_pass_through_for_the_client_to_map(
    client: httpx.AsyncClient, server: oauth.FakeWebApi, status: int
) -> None:
    server.lst_status = status
    assert (await client.get("/tickle")).status_code == status
    assert paths(server) == ["/oauth/live_session_token"]


def test_a_sync_client_is_refused(auth: IbkrOAuth) -> None:
    with httpx.Client(base_url=BASE, auth=auth) as sync, pytest.raises(RuntimeError):
        sync.get("/tickle")
