"""Throwaway OAuth 1.0a material and a stand-in for IBKR's Web API (for httpx.MockTransport).

Keys are generated per test session (nothing committed). The stand-in checks signatures with code
written independently of the router's (stdlib ``hmac``/``urllib`` + ``cryptography`` verify), so
a flow test is also a cross-check of the signing.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import secrets
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.utils import CryptographyDeprecationWarning

# RFC 3526 group 14 (2048-bit MODP, g = 2): a public constant, so no DH generation in tests.
MODP_2048 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E34"
    "04DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6"
    "F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A6916"
    "3FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C"
    "32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA95"
    "6AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
    16,
)
CONSUMER_KEY = "TESTCONS"
ACCESS_TOKEN = "acc3ss70k3n"
REALM = "test_realm"
SECRET = bytes.fromhex("00a1b2c3d4e5f60718293a4b5c6d7e8f")
"""The plain access-token secret (leading zero byte on purpose: the prepend keeps it)."""


@dataclass(frozen=True)
class Keys:
    """The consumer's two RSA keys; the public halves are what IBKR holds."""

    signature: RSAPrivateKey = field(repr=False)
    encryption: RSAPrivateKey = field(repr=False)


@functools.cache
def keys() -> Keys:
    """One pair of throwaway 2048-bit keys per test session."""
    return Keys(
        signature=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        encryption=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


def pem(key: RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def dh_pem(p: int = MODP_2048, g: int = 2) -> bytes:
    """``openssl dhparam``-style PEM of the group."""
    with warnings.catch_warnings():  # FFDH is deprecated in cryptography; IBKR still uses it
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        from cryptography.hazmat.primitives.asymmetric import dh  # noqa: PLC0415

        numbers = dh.DHParameterNumbers(p, g)
    return numbers.parameters().parameter_bytes(
        serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3
    )


def encrypted_secret(secret: bytes = SECRET) -> str:
    """What the portal hands out: base64 of the secret encrypted with the encryption public key."""
    ciphertext = keys().encryption.public_key().encrypt(secret, padding.PKCS1v15())
    return base64.b64encode(ciphertext).decode()


def write_credentials(directory: Path) -> Path:
    """The six files of a consumer, as a mounted Secret would hold them (text with newlines)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "consumer_key").write_text(CONSUMER_KEY + "\n")
    (directory / "access_token").write_text(ACCESS_TOKEN + "\n")
    (directory / "access_token_secret").write_text(encrypted_secret() + "\n")
    (directory / "private_signature.pem").write_bytes(pem(keys().signature))
    (directory / "private_encryption.pem").write_bytes(pem(keys().encryption))
    (directory / "dhparam.pem").write_bytes(dh_pem())
    return directory


# --- first-principles RFC 5849 + IBKR, for the stand-in and the vector tests -----------------


def pct(text: str) -> str:
    """RFC 3986 unreserved characters kept, everything else %XX (UTF-8)."""
    return quote(text, safe="~")


def expected_base_string(
    method: str, base_uri: str, params: Iterable[tuple[str, str]], prepend: str = ""
) -> str:
    pairs = sorted((pct(k), pct(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return f"{prepend}{method}&{pct(base_uri)}&{pct(normalized)}"


def java_bytes(k: int) -> bytes:
    """BigInteger.toByteArray(), spelled out differently from the router's."""
    raw = k.to_bytes(max(1, (k.bit_length() + 7) // 8), "big")
    return b"\x00" + raw if raw[0] & 0x80 else raw


def lst_from(k: int, secret: bytes = SECRET) -> str:
    return base64.b64encode(hmac.new(java_bytes(k), secret, hashlib.sha1).digest()).decode()


def lst_signature(lst: str, consumer_key: str = CONSUMER_KEY) -> str:
    return hmac.new(base64.b64decode(lst), consumer_key.encode(), hashlib.sha1).hexdigest()


_HEADER_PARAM = re.compile(r'(\w+)="([^"]*)"')


def header_params(authorization: str) -> dict[str, str]:
    """The quoted parameters of an ``OAuth ...`` header (realm included)."""
    assert authorization.startswith("OAuth ")
    return dict(_HEADER_PARAM.findall(authorization))


@dataclass
class FakeWebApi:
    """IBKR's hosted Web API as far as OAuth goes: issues tokens, checks every signature.

    ``lst_life_s`` is the life of an issued token on the server's ``now`` clock (seconds);
    ``lst_status`` answers the token request with that status instead; ``bad_lst_signature``
    sends a wrong ``live_session_token_signature``; ``accept_requests=False`` answers 401 to
    every signed request.
    """

    now: float = 1_800_000_000.0
    lst_life_s: float = 3600.0
    lst_status: int | None = None
    bad_lst_signature: bool = False
    tokens: dict[str, float] = field(default_factory=dict)
    accept_requests: bool = True
    routes: dict[str, Any] = field(default_factory=dict)
    """Canned JSON answers by ``"METHOD /path"`` below ``/v1/api`` (default ``{"ok": true}``)."""
    issued: int = 0
    refused: int = 0
    seen: list[httpx.Request] = field(default_factory=list)

    def revoke(self) -> None:
        """Every issued token stops being accepted (as an expired one would)."""
        self.tokens.clear()

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        params = header_params(request.headers.get("Authorization", "OAuth "))
        if request.url.path.endswith("/oauth/live_session_token"):
            return self._issue(request, params)
        signature = params.pop("oauth_signature", "")
        params.pop("realm", None)
        base = expected_base_string(
            request.method,
            f"{request.url.scheme}://{request.url.netloc.decode()}{request.url.path}",
            params.items(),  # IBKR signs no query (docs/oauth.md)
        )
        for token, expires in self.tokens.items():
            mac = hmac.new(base64.b64decode(token), base.encode(), hashlib.sha256).digest()
            good = pct(base64.b64encode(mac).decode()) == signature
            if good and expires > self.now and self.accept_requests:
                route = f"{request.method} {request.url.path.removeprefix('/v1/api')}"
                return httpx.Response(200, json=self.routes.get(route, {"ok": True}))
        self.refused += 1
        return httpx.Response(401, json={"error": "invalid signature", "statusCode": 401})

    def _issue(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        if self.lst_status is not None:
            return httpx.Response(
                self.lst_status, json={"error": "id: 3931, error: invalid consumer"}
            )
        signature = base64.b64decode(unquote(params.pop("oauth_signature", "")))
        params.pop("realm", None)
        base = expected_base_string("POST", str(request.url), params.items(), prepend=SECRET.hex())
        try:
            keys().signature.public_key().verify(
                signature, base.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return httpx.Response(401, json={"error": "Invalid signature", "statusCode": 401})
        b = secrets.randbits(256)
        k = pow(int(params["diffie_hellman_challenge"], 16), b, MODP_2048)
        token = lst_from(k)
        self.tokens[token] = self.now + self.lst_life_s
        self.issued += 1
        body = {
            "diffie_hellman_response": format(pow(2, b, MODP_2048), "x"),
            "live_session_token_signature": "00" * 20
            if self.bad_lst_signature
            else lst_signature(token),
            "live_session_token_expiration": int((self.now + self.lst_life_s) * 1000),
        }
        return httpx.Response(200, content=json.dumps(body).encode())
