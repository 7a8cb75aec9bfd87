"""OAuth 1.0a signing against fixed vectors worked out here from first principles (stdlib
``hmac``/``hashlib`` and hand-written base strings), plus DH and RSA round trips."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import unquote

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from sluice_order_router.adapters.rest.oauth import dh, lst
from sluice_order_router.adapters.rest.oauth.credentials import OAuthCredentials
from sluice_order_router.adapters.rest.oauth.headers import (
    lst_request_authorization,
    request_authorization,
)
from sluice_order_router.adapters.rest.oauth.rfc5849 import base_string
from sluice_order_router.adapters.rest.oauth.signatures import hmac_sha256
from tests.support import oauth

GROUP = dh.DhGroup(p=oauth.MODP_2048, g=2)
SNAPSHOT = "https://api.ibkr.com/v1/api/iserver/marketdata/snapshot"
LST = base64.b64encode(bytes(range(20))).decode()
OAUTH = [
    ("oauth_consumer_key", "TESTCONS"),
    ("oauth_nonce", "abc123"),
    ("oauth_signature_method", "HMAC-SHA256"),
    ("oauth_timestamp", "1700000000"),
    ("oauth_token", "tok"),
]
QUERY = "?q=a%20b%26c~%C3%A9&conids=265598%2C8314"
EXPECTED_BASE = (
    "GET&https%3A%2F%2Fapi.ibkr.com%2Fv1%2Fapi%2Fiserver%2Fmarketdata%2Fsnapshot&"
    "oauth_consumer_key%3DTESTCONS%26oauth_nonce%3Dabc123%26"
    "oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26oauth_token%3Dtok"
)


def credentials(prepend: str = oauth.SECRET.hex()) -> OAuthCredentials:
    return OAuthCredentials(
        consumer_key="TESTCONS",
        access_token="tok",
        realm="test_realm",
        signature_key=oauth.keys().signature,
        prepend=prepend,
        dh_group=GROUP,
    )


def test_base_string_sorts_by_name_and_leaves_the_query_out() -> None:
    assert base_string("get", SNAPSHOT + QUERY, reversed(OAUTH)) == EXPECTED_BASE


def test_base_string_drops_the_default_port_only_and_puts_the_prepend_first() -> None:
    pairs = [("a", "1")]
    assert base_string("POST", "https://API.ibkr.com:443/v1/api/x", pairs, prepend="00ff") == (
        "00ffPOST&https%3A%2F%2Fapi.ibkr.com%2Fv1%2Fapi%2Fx&a%3D1"
    )
    assert base_string("GET", "https://127.0.0.1:5001/v1/api/x", pairs) == (
        "GET&https%3A%2F%2F127.0.0.1%3A5001%2Fv1%2Fapi%2Fx&a%3D1"
    )


def test_hmac_sha256_signature_and_header_match_first_principles() -> None:
    digest = hmac.new(bytes(range(20)), EXPECTED_BASE.encode(), hashlib.sha256).digest()
    expected_signature = oauth.pct(base64.b64encode(digest).decode())
    assert hmac_sha256(LST, EXPECTED_BASE) == expected_signature
    header = request_authorization(
        credentials(), LST, "GET", SNAPSHOT + QUERY, nonce="abc123", timestamp=1700000000
    )
    assert header == (
        'OAuth realm="test_realm", oauth_consumer_key="TESTCONS", oauth_nonce="abc123", '
        f'oauth_signature="{expected_signature}", oauth_signature_method="HMAC-SHA256", '
        'oauth_timestamp="1700000000", oauth_token="tok"'
    )


@pytest.mark.parametrize(
    ("k", "java"),
    [
        (0, b"\x00"),
        (0x7F, b"\x7f"),
        (0x80, b"\x00\x80"),
        (0x0100, b"\x01\x00"),
        (0xFF00, b"\x00\xff\x00"),
    ],
)
def test_shared_secret_bytes_follow_java_biginteger(k: int, java: bytes) -> None:
    assert dh.java_bytes(k) == java


@pytest.mark.parametrize("top", ["80", "7f"])
def test_lst_derivation_and_validation_match_first_principles(top: str) -> None:
    k = int(top + "11" * 255, 16)
    k_bytes = (b"\x00" if top == "80" else b"") + k.to_bytes(256, "big")
    expected = base64.b64encode(hmac.new(k_bytes, oauth.SECRET, hashlib.sha1).digest()).decode()
    token = lst.derive(k, oauth.SECRET.hex())
    assert token == expected
    signature = hmac.new(base64.b64decode(expected), b"TESTCONS", hashlib.sha1).hexdigest()
    assert lst.is_valid(token, "TESTCONS", signature)
    assert lst.is_valid(token, "TESTCONS", signature.upper())
    assert not lst.is_valid(token, "OTHERCONS", signature)
    assert not lst.is_valid(token, "TESTCONS", "0" * 40)


def test_dh_round_trip_gives_both_sides_the_same_token() -> None:
    a, b = dh.new_exponent(), dh.new_exponent()
    challenge = dh.challenge(GROUP, a)
    assert challenge == format(pow(2, a, oauth.MODP_2048), "x")
    server_k = pow(int(challenge, 16), b, oauth.MODP_2048)
    client_k = dh.shared_secret(GROUP, a, format(pow(2, b, oauth.MODP_2048), "x"))
    assert client_k == server_k
    assert lst.derive(client_k, oauth.SECRET.hex()) == oauth.lst_from(server_k)


@pytest.mark.parametrize("response", ["1", "0", format(oauth.MODP_2048 - 1, "x"), "zz"])
def test_degenerate_or_garbled_dh_responses_are_refused(response: str) -> None:
    with pytest.raises(ValueError):
        dh.shared_secret(GROUP, dh.new_exponent(), response)


def test_secret_decrypts_to_the_prepend_keeping_leading_zero_bytes() -> None:
    prepend = lst.decrypt_prepend(oauth.keys().encryption, oauth.encrypted_secret())
    assert prepend == oauth.SECRET.hex()
    assert prepend.startswith("00")


def test_lst_request_is_rsa_sha256_signed_over_the_prepended_base_string() -> None:
    url = "https://api.ibkr.com/v1/api/oauth/live_session_token"
    header = lst_request_authorization(
        credentials(), url, "abc", nonce="n0nce", timestamp=1700000000
    )
    params = oauth.header_params(header)
    assert params.pop("realm") == "test_realm"
    signature = base64.b64decode(unquote(params.pop("oauth_signature")))
    assert params == {
        "diffie_hellman_challenge": "abc",
        "oauth_consumer_key": "TESTCONS",
        "oauth_nonce": "n0nce",
        "oauth_signature_method": "RSA-SHA256",
        "oauth_timestamp": "1700000000",
        "oauth_token": "tok",
    }
    base = oauth.expected_base_string("POST", url, params.items(), prepend=oauth.SECRET.hex())
    public = oauth.keys().signature.public_key()
    public.verify(signature, base.encode(), padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        public.verify(signature, base[2:].encode(), padding.PKCS1v15(), hashes.SHA256())


def test_lst_answer_with_a_wrong_signature_is_never_used() -> None:
    a, b = dh.new_exponent(), dh.new_exponent()
    k = pow(pow(2, a, oauth.MODP_2048), b, oauth.MODP_2048)
    body = {
        "diffie_hellman_response": format(pow(2, b, oauth.MODP_2048), "x"),
        "live_session_token_signature": oauth.lst_signature(oauth.lst_from(k)),
        "live_session_token_expiration": 1_700_086_400_000,
    }

    def answer(body: dict[str, Any], consumer_key: str = "TESTCONS") -> lst.LiveSessionToken:
        return lst.from_response(
            body, group=GROUP, a=a, prepend=oauth.SECRET.hex(), consumer_key=consumer_key, now=1e9
        )

    token = answer(body)
    assert token.value == oauth.lst_from(k)
    assert token.expires_at == 1_700_086_400.0
    assert token.value not in repr(token)
    with pytest.raises(lst.LstResponseError, match="does not match"):
        answer(body, consumer_key="OTHERCONS")
    with pytest.raises(lst.LstResponseError, match="lacks"):
        answer({})


@pytest.mark.parametrize(("life_s", "margin_s"), [(86_400.0, 60.0), (30.0, 3.0)])
def test_renewal_comes_before_expiry_by_a_tenth_of_the_life_at_most_a_minute(
    life_s: float, margin_s: float
) -> None:
    token = lst.LiveSessionToken(value="x", obtained_at=1000.0, expires_at=1000.0 + life_s)
    assert token.renew_at == pytest.approx(1000.0 + life_s - margin_s)
