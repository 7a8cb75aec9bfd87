"""The Client Portal simulator in ``webapi`` mode: IBKR's hosted Web API with OAuth 1.0a.

Real HTTPS sockets, httpx, and a test-side signer written from the OAuth contract.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from sluice_sim.cp import CREDENTIAL_FILES, CpSimConfig, CpSimulator, OAuthKeys, OAuthSimConfig
from sluice_sim.cp.oauth import java_bytes
from sluice_sim.cp.oauth_keys import RFC3526_GROUP14_PRIME
from tests.support.oauth_client import OAuthClient, OAuthCredentials, nonce
from tests.support.polling import POLL_INTERVAL_S

CALLER = "127.0.0.2"
"""The registered caller address the tests connect from (loopback has the whole 127/8)."""


@pytest.fixture(scope="module")
def keys() -> OAuthKeys:
    # RSA key generation is the slow part of a start; one consumer serves the whole module.
    return OAuthKeys.generate("SLUICETST")


@pytest.fixture
async def sim(keys: OAuthKeys) -> AsyncIterator[CpSimulator]:
    config = CpSimConfig(mode="webapi", allowlist=frozenset({CALLER}), limits={})
    simulator = CpSimulator(config, oauth_keys=keys)
    await simulator.start()
    yield simulator
    await simulator.stop()


def _https(sim: CpSimulator, source: str = CALLER) -> httpx.AsyncClient:
    context = ssl.create_default_context(cafile=str(sim.cert_path))
    transport = httpx.AsyncHTTPTransport(verify=context, local_address=source)
    return httpx.AsyncClient(transport=transport, timeout=10)


@pytest.fixture
async def http(sim: CpSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with _https(sim) as client:
        yield client


@pytest.fixture
def credentials(sim: CpSimulator, tmp_path: Path) -> OAuthCredentials:
    return OAuthCredentials.load(sim.control.write_credentials(tmp_path / "oauth"))


@pytest.fixture
def client(sim: CpSimulator, credentials: OAuthCredentials) -> OAuthClient:
    return OAuthClient(credentials, sim.base_url())


def _control(sim: CpSimulator, path: str) -> str:
    return f"https://localhost:{sim.port}/_sim{path}"


def assert_ibkr_401(response: httpx.Response, text: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["statusCode"] == 401
    assert re.fullmatch(rf"id: \d+, error: {re.escape(text)}", body["error"]), body


async def test_credential_files_are_what_a_client_loads(
    sim: CpSimulator, tmp_path: Path, keys: OAuthKeys
) -> None:
    directory = sim.control.write_credentials(tmp_path / "secret")
    assert sorted(p.name for p in directory.iterdir()) == sorted(CREDENTIAL_FILES)
    assert {p.stat().st_mode & 0o777 for p in directory.iterdir()} == {0o600}
    creds = OAuthCredentials.load(directory)
    assert (creds.consumer_key, creds.access_token) == ("SLUICETST", keys.access_token)
    assert isinstance(creds.signature_key, rsa.RSAPrivateKey)
    assert (creds.dh_prime, creds.dh_generator) == (RFC3526_GROUP14_PRIME, 2)
    assert bytes.fromhex(creds.prepend()) == keys.access_token_secret


async def test_handshake_then_signed_requests_trade(
    sim: CpSimulator, http: httpx.AsyncClient, client: OAuthClient
) -> None:
    await client.acquire(http)
    assert client.lst_expiration_ms > (time.time() + 3600) * 1000  # default: a day

    validate = await client.request(http, "GET", "/sso/validate")
    assert validate.status_code == 200
    assert validate.json()["IP"] == CALLER
    status = await client.request(http, "POST", "/iserver/auth/status")
    assert status.json()["authenticated"] is False
    no_bridge = await client.request(http, "GET", "/iserver/accounts")
    assert no_bridge.status_code == 400

    init = await client.request(
        http, "POST", "/iserver/auth/ssodh/init", json={"publish": True, "compete": True}
    )
    assert init.json()["authenticated"] is True
    accounts = (await client.request(http, "GET", "/iserver/accounts")).json()["accounts"]
    snapshot = await client.request(
        http, "GET", "/iserver/marketdata/snapshot?conids=265598,272093&fields=31,84"
    )
    assert snapshot.status_code == 200  # the query is not signed, as IBKR does it
    order = {"conid": 265598, "side": "BUY", "quantity": 1, "orderType": "MKT", "cOID": "w-1"}
    placed = await client.request(
        http, "POST", f"/iserver/account/{accounts[0]}/orders", json={"orders": [order]}
    )
    assert placed.status_code == 200
    assert "order_id" in placed.json()[0]
    assert sim.control.counters()["lst_issued"] == 1


async def test_a_bad_rsa_signature_gets_no_token(
    http: httpx.AsyncClient, client: OAuthClient, credentials: OAuthCredentials
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    client.credentials = credentials.but(signature_key=other)
    url, headers, _ = client.lst_request()
    assert_ibkr_401(await http.post(url, headers=headers), "invalid signature")


async def test_a_bad_hmac_signature_is_refused(
    http: httpx.AsyncClient, client: OAuthClient
) -> None:
    await client.acquire(http)
    url, headers = client.sign("GET", "/tickle", lst=bytes(20))
    assert_ibkr_401(await http.get(url, headers=headers), "invalid signature")


async def test_the_query_is_not_signed_and_a_signature_over_it_is_refused(
    http: httpx.AsyncClient, client: OAuthClient
) -> None:
    """IBKR verifies a base string of the OAuth parameters alone (its first-party example and
    IBind sign no query, and IBKR answers IBind's GETs with one): RFC 5849's form, query
    included, is refused."""
    await client.acquire(http)
    await client.request(http, "POST", "/iserver/auth/ssodh/init", json={"publish": True})
    await client.request(http, "GET", "/iserver/accounts")
    path = "/iserver/marketdata/snapshot?conids=265598&fields=31"
    url, headers = client.sign("GET", path)
    answer = await http.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    url, headers = client.sign("GET", path, sign_query=True)
    assert_ibkr_401(await http.get(url, headers=headers), "invalid signature")


async def test_an_unknown_consumer_or_token_is_refused(
    sim: CpSimulator, http: httpx.AsyncClient, client: OAuthClient, credentials: OAuthCredentials
) -> None:
    client.credentials = credentials.but(consumer_key="NOTREGIST")
    url, headers, _ = client.lst_request()
    assert_ibkr_401(await http.post(url, headers=headers), "invalid consumer")

    client.credentials = credentials.but(access_token="unknowntoken")
    url, headers, _ = client.lst_request()
    expected = "LST failed, error: No access secret key found for SLUICETST"
    assert_ibkr_401(await http.post(url, headers=headers), expected)

    client.credentials = credentials
    await client.acquire(http)
    client.credentials = credentials.but(access_token="unknowntoken")
    url, headers = client.sign("GET", "/tickle")
    assert_ibkr_401(await http.get(url, headers=headers), "invalid token")
    unsigned = await http.get(f"{sim.base_url()}/tickle")
    assert_ibkr_401(unsigned, "invalid consumer")


async def test_a_replayed_nonce_is_refused(http: httpx.AsyncClient, client: OAuthClient) -> None:
    await client.acquire(http)
    url, headers = client.sign("GET", "/tickle", nonce_=nonce())
    assert (await http.get(url, headers=headers)).status_code == 200
    assert_ibkr_401(await http.get(url, headers=headers), "invalid nonce")

    url, headers, _ = client.lst_request(nonce_=nonce())
    assert (await http.post(url, headers=headers)).status_code == 200
    assert_ibkr_401(await http.post(url, headers=headers), "invalid nonce")


@pytest.mark.parametrize("skew_s", [-400, 400])
async def test_a_timestamp_outside_the_window_is_refused(
    http: httpx.AsyncClient, client: OAuthClient, skew_s: int
) -> None:
    stamp = int(time.time()) + skew_s
    url, headers, _ = client.lst_request(timestamp=stamp)
    assert_ibkr_401(await http.post(url, headers=headers), "invalid timestamp")
    await client.acquire(http)
    url, headers = client.sign("GET", "/tickle", timestamp=stamp)
    assert_ibkr_401(await http.get(url, headers=headers), "invalid timestamp")


async def test_an_expired_token_is_refused_until_renewed(
    sim: CpSimulator, http: httpx.AsyncClient, client: OAuthClient
) -> None:
    await client.acquire(http)
    assert (await http.post(_control(sim, "/oauth/expire"))).is_success
    assert_ibkr_401(await client.request(http, "GET", "/tickle"), "invalid live session token")

    await client.acquire(http)
    assert (await client.request(http, "GET", "/tickle")).status_code == 200
    counters: dict[str, Any] = sim.control.counters()
    assert counters["lst_issued"] == 2
    assert counters["oauth_refusals"] == {"invalid live session token": 1}


async def test_a_short_lived_token_runs_out(
    sim: CpSimulator, http: httpx.AsyncClient, client: OAuthClient
) -> None:
    assert (await http.post(_control(sim, "/oauth/lifetime"), json={"seconds": 0.5})).is_success
    await client.acquire(http)
    assert client.lst_expiration_ms < (time.time() + 60) * 1000
    deadline = time.monotonic() + 10
    while (answer := await client.request(http, "GET", "/tickle")).status_code == 200:
        assert time.monotonic() < deadline, "the live session token never expired"
        await asyncio.sleep(POLL_INTERVAL_S)
    assert_ibkr_401(answer, "invalid live session token")


async def test_an_unregistered_caller_is_refused_before_any_oauth_check(
    sim: CpSimulator, client: OAuthClient
) -> None:
    async with _https(sim, source="127.0.0.1") as stranger:
        url, headers, _ = client.lst_request()
        refused = await stranger.post(url, headers=headers)
        assert refused.status_code == 403
        assert "127.0.0.1" in refused.json()["error"]
        assert (await stranger.get(f"{sim.base_url()}/sso/validate")).status_code == 403
    assert sim.control.counters()["oauth_refusals"] == {}


async def test_webapi_settings_come_from_the_config(tmp_path: Path) -> None:
    config = CpSimConfig(
        mode="webapi", limits={}, oauth=OAuthSimConfig(lst_lifetime_s=5, consumer_key="CFGKEY123")
    )
    simulator = CpSimulator(config)
    await simulator.start()
    try:
        assert simulator.oauth_keys.consumer_key == "CFGKEY123"
        creds = OAuthCredentials.load(simulator.control.write_credentials(tmp_path))
        async with _https(simulator, source="127.0.0.1") as http:
            client = OAuthClient(creds, simulator.base_url())
            await client.acquire(http)
        assert client.lst_expiration_ms < (time.time() + 60) * 1000
    finally:
        await simulator.stop()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, b"\x00"),
        (0x7F, b"\x7f"),
        (0x80, b"\x00\x80"),
        (0x1234, b"\x12\x34"),
        (0xFF00, b"\x00\xff\x00"),
    ],
)
def test_shared_secret_bytes_are_javas_biginteger_bytes(value: int, expected: bytes) -> None:
    assert java_bytes(value) == expected


async def test_oauth_control_is_refused_in_gateway_mode() -> None:
    simulator = CpSimulator(CpSimConfig(limits={}))
    await simulator.start()
    try:
        async with _https(simulator, source="127.0.0.1") as http:
            assert (await http.post(_control(simulator, "/oauth/expire"))).status_code == 409
        with pytest.raises(RuntimeError):
            simulator.control.expire_lsts()
    finally:
        await simulator.stop()
