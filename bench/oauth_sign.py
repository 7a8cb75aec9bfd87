"""OAuth 1.0a on IBKR's Web API: what signing costs per request, what a new live session token
costs the client (DH, RSA-SHA256, derivation and validation; no round trip), and the time from a
cold start to a usable session against the simulator's ``webapi`` mode.

Run: ``python -m bench oauth_sign``. Keys are throwaway ones made here (2048-bit RSA, the 2048-bit
RFC 3526 group, as IBKR consumers use).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import statistics
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sluice_order_router.adapters.rest.oauth import dh, load_credentials, lst
from sluice_order_router.adapters.rest.oauth.credentials import OAuthCredentials
from sluice_order_router.adapters.rest.oauth.headers import (
    lst_request_authorization,
    new_nonce,
    request_authorization,
)
from tests.egress.fixtures import cp_simulator, gateway, rest_settings
from tests.support import oauth

BASE = "https://api.ibkr.com/v1/api"
ORDER_URL = f"{BASE}/iserver/account/DU1234567/orders"
SNAPSHOT_URL = f"{BASE}/iserver/marketdata/snapshot?conids=265598,8314,76792991&fields=31,84"
ROUNDS = 5
COLD_STARTS = 5


def _best_us(action: Callable[[], Any], number: int) -> float:
    """Microseconds per call, best of ``ROUNDS`` runs of ``number`` calls."""
    return min(timeit.repeat(action, number=number, repeat=ROUNDS)) / number * 1e6


def _credentials() -> OAuthCredentials:
    return OAuthCredentials(
        consumer_key=oauth.CONSUMER_KEY,
        access_token=oauth.ACCESS_TOKEN,
        realm=oauth.REALM,
        signature_key=oauth.keys().signature,
        prepend=oauth.SECRET.hex(),
        dh_group=dh.DhGroup(p=oauth.MODP_2048, g=2),
    )


def _new_token(creds: OAuthCredentials, response_hex: str) -> None:
    """The client's whole share of one token: challenge, signed request, derivation, check
    (``response_hex``, the server's DH half, is made once outside the timing)."""
    a = dh.new_exponent()
    url = f"{BASE}/oauth/live_session_token"
    challenge = dh.challenge(creds.dh_group, a)
    lst_request_authorization(creds, url, challenge, nonce=new_nonce(), timestamp=int(time.time()))
    token = lst.derive(dh.shared_secret(creds.dh_group, a, response_hex), creds.prepend)
    assert lst.is_valid(token, creds.consumer_key, oauth.lst_signature(token))


async def _cold_starts() -> list[float]:
    """Seconds from reading the credential files to a session that may trade (token,
    ``ssodh/init``, egress check, accounts, order pre-flight), each time a new router."""
    seconds: list[float] = []
    async with cp_simulator(mode="webapi", allowlist=None) as sim:
        with tempfile.TemporaryDirectory() as tmp:
            oauth_dir = sim.control.write_credentials(Path(tmp) / "oauth")
            settings = rest_settings(sim, None, SLUICE_EXPECTED_EGRESS_IP="127.0.0.1")
            for _ in range(COLD_STARTS):
                started = time.perf_counter()
                gw = gateway(settings, oauth=load_credentials(oauth_dir, "limited_poa"))
                try:
                    await asyncio.wait_for(gw.connect(), 30)
                    seconds.append(time.perf_counter() - started)
                finally:
                    await gw.close()
    return seconds


def main() -> None:
    """Print µs per signed request (order POST, GET with query) and ms per new token."""
    creds = _credentials()
    token = base64.b64encode(secrets.token_bytes(20)).decode()
    now = int(time.time())

    def order() -> str:
        return request_authorization(
            creds, token, "POST", ORDER_URL, nonce=new_nonce(), timestamp=now
        )

    def snapshot() -> str:
        return request_authorization(
            creds, token, "GET", SNAPSHOT_URL, nonce=new_nonce(), timestamp=now
        )

    print("oauth 1.0a request signing (HMAC-SHA256 Authorization header, incl. nonce)")
    print(f"  order POST            {_best_us(order, 5_000):8.1f} µs/request")
    print(f"  snapshot GET + query  {_best_us(snapshot, 5_000):8.1f} µs/request")
    print("live session token, client side (DH 2048-bit, RSA-SHA256 2048-bit, HMAC-SHA1)")
    response = format(pow(2, dh.new_exponent(), creds.dh_group.p), "x")
    new_token_ms = _best_us(lambda: _new_token(creds, response), 20) / 1000
    print(f"  new token             {new_token_ms:8.2f} ms")
    cold = [s * 1000 for s in asyncio.run(_cold_starts())]
    print(f"cold start to a usable session (simulator webapi mode, loopback, {COLD_STARTS} runs)")
    print(f"  best / median         {min(cold):8.1f} / {statistics.median(cold):.1f} ms")


if __name__ == "__main__":
    main()
