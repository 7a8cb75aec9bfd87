"""A minimal IBKR Web API OAuth 1.0a client for tests, written from the OAuth contract.

It reads the six credential files (``IBKR_OAUTH_DIR``), gets a live session token (RSA-SHA256 +
Diffie-Hellman) and signs requests with it (HMAC-SHA256). Every input a test may want to spoil
(timestamp, nonce, keys, token) can be overridden.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dh, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from oauthlib.oauth1.rfc5849.signature import (
    base_string_uri,
    normalize_parameters,
    signature_base_string,
)
from oauthlib.oauth1.rfc5849.utils import escape

Method = Literal["GET", "POST", "PUT", "DELETE"]


def _text(directory: Path, name: str) -> str:
    return (directory / name).read_text().strip()


def _private_key(path: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@dataclass(frozen=True)
class OAuthCredentials:
    """What IBKR's self-service portal hands out, as read from the credential directory."""

    consumer_key: str
    access_token: str
    access_token_secret: str
    signature_key: rsa.RSAPrivateKey
    encryption_key: rsa.RSAPrivateKey
    dh_prime: int
    dh_generator: int

    @classmethod
    def load(cls, directory: Path) -> OAuthCredentials:
        with warnings.catch_warnings():  # finite-field DH is deprecated; IBKR uses it
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            params = serialization.load_pem_parameters((directory / "dhparam.pem").read_bytes())
            assert isinstance(params, dh.DHParameters)
            numbers = params.parameter_numbers()
        return cls(
            consumer_key=_text(directory, "consumer_key"),
            access_token=_text(directory, "access_token"),
            access_token_secret=_text(directory, "access_token_secret"),
            signature_key=_private_key(directory / "private_signature.pem"),
            encryption_key=_private_key(directory / "private_encryption.pem"),
            dh_prime=numbers.p,
            dh_generator=numbers.g,
        )

    def prepend(self) -> str:
        """The decrypted access token secret, in lowercase hex."""
        secret = base64.b64decode(self.access_token_secret)
        return self.encryption_key.decrypt(secret, padding.PKCS1v15()).hex()

    def but(self, **changes: Any) -> OAuthCredentials:
        """A copy with some fields changed (a wrong consumer key, another signing key...)."""
        return replace(self, **changes)


def nonce() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16))


def authorization(params: dict[str, str], realm: str = "limited_poa") -> str:
    """``OAuth realm="...", k="v", ...`` with the parameters sorted."""
    pairs = ", ".join(f'{k}="{v}"' for k, v in sorted(params.items()))
    return f'OAuth realm="{realm}", {pairs}'


def _base_string(method: Method, url: str, params: dict[str, str], query: bool = False) -> str:
    """IBKR's base string signs the OAuth parameters alone; ``query`` adds the query's too, as
    RFC 5849 would."""
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True) if query else []
    normalized = normalize_parameters([*params.items(), *pairs])  # type: ignore[arg-type]
    return signature_base_string(method, base_string_uri(url), normalized)


def _java_bytes(value: int) -> bytes:
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


class OAuthClient:
    """Signs requests to ``base_url`` (``https://host:port/v1/api``) as a first-party consumer."""

    def __init__(self, credentials: OAuthCredentials, base_url: str) -> None:
        self.credentials = credentials
        self.base_url = base_url
        self.lst: bytes | None = None
        self.lst_expiration_ms = 0

    def lst_request(
        self, *, timestamp: int | None = None, nonce_: str | None = None
    ) -> tuple[str, dict[str, str], int]:
        """URL, headers and the DH secret of a live session token request."""
        creds = self.credentials
        secret = secrets.randbits(256)
        params = self._oauth_params("RSA-SHA256", timestamp, nonce_)
        params["diffie_hellman_challenge"] = format(
            pow(creds.dh_generator, secret, creds.dh_prime), "x"
        )
        url = f"{self.base_url}/oauth/live_session_token"
        base = creds.prepend() + _base_string("POST", url, params)
        signature = creds.signature_key.sign(base.encode(), padding.PKCS1v15(), hashes.SHA256())
        params["oauth_signature"] = escape(base64.b64encode(signature).decode())
        return url, {"Authorization": authorization(params)}, secret

    def accept_lst(self, answer: dict[str, Any], secret: int) -> bytes:
        """Derive the live session token from the answer and check IBKR's signature of it."""
        creds = self.credentials
        shared = pow(int(answer["diffie_hellman_response"], 16), secret, creds.dh_prime)
        token = hmac.digest(_java_bytes(shared), bytes.fromhex(creds.prepend()), hashlib.sha1)
        check = hmac.new(token, creds.consumer_key.encode(), hashlib.sha1).hexdigest()
        if check != answer["live_session_token_signature"]:
            raise AssertionError("live session token signature does not match")
        self.lst, self.lst_expiration_ms = token, int(answer["live_session_token_expiration"])
        return token

    async def acquire(self, http: httpx.AsyncClient) -> bytes:
        """Get and validate a live session token over ``http``."""
        url, headers, secret = self.lst_request()
        response = await http.post(url, headers=headers)
        response.raise_for_status()
        return self.accept_lst(response.json(), secret)

    def sign(
        self,
        method: Method,
        path: str,
        *,
        lst: bytes | None = None,
        timestamp: int | None = None,
        nonce_: str | None = None,
        sign_query: bool = False,
    ) -> tuple[str, dict[str, str]]:
        """URL and headers of a request signed with the live session token (or ``lst``);
        ``sign_query`` signs the query too, the RFC 5849 way IBKR does not."""
        key = lst if lst is not None else self.lst
        assert key is not None, "no live session token yet"
        url = f"{self.base_url}{path}"
        params = self._oauth_params("HMAC-SHA256", timestamp, nonce_)
        base = _base_string(method, url, params, query=sign_query)
        digest = hmac.digest(key, base.encode(), hashlib.sha256)
        params["oauth_signature"] = escape(base64.b64encode(digest).decode())
        return url, {"Authorization": authorization(params)}

    async def request(
        self, http: httpx.AsyncClient, method: Method, path: str, **kwargs: Any
    ) -> httpx.Response:
        """Send a signed request (``kwargs`` go to httpx, e.g. ``json=``)."""
        url, headers = self.sign(method, path)
        return await http.request(method, url, headers=headers, **kwargs)

    def _oauth_params(
        self, method: str, timestamp: int | None, nonce_: str | None
    ) -> dict[str, str]:
        return {
            "oauth_consumer_key": self.credentials.consumer_key,
            "oauth_nonce": nonce_ or nonce(),
            "oauth_signature_method": method,
            "oauth_timestamp": str(int(time.time()) if timestamp is None else timestamp),
            "oauth_token": self.credentials.access_token,
        }
