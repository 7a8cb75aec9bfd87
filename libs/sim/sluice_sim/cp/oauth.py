"""IBKR's first-party OAuth 1.0a, checked the way the hosted Web API (api.ibkr.com) checks it.

The live session token (LST) request is RSA-SHA256-signed over the access token secret (hex) +
the OAuth base string and carries a Diffie-Hellman challenge; every other request is
HMAC-SHA256-signed with the LST. The base string is RFC 5849's (oauthlib) over the
``Authorization`` header's OAuth parameters alone: like IBKR, the simulator does not sign the
query (IBKR's first-party example and IBind sign none, and IBKR answers IBind's GETs with a
query). The signatures are checked by hand because IBKR's variant is not RFC 5849's: the RSA
base string has a prepend, and the HMAC key is the raw LST rather than
``consumer_secret&token_secret`` (oauthlib's RSA path would also pull in PyJWT).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from oauthlib.oauth1.rfc5849.signature import (
    base_string_uri,
    collect_parameters,
    normalize_parameters,
    signature_base_string,
)

from .oauth_keys import OAuthKeys

LST_PATH = "/oauth/live_session_token"
HttpMethod = Literal["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"]

# IBKR answers every refusal with 401 and {"error": "id: <n>, error: <text>", "statusCode": 401}.
# Sources and the texts that could not be found are listed in docs/simulators.md.
INVALID_CONSUMER = "invalid consumer"
NO_ACCESS_SECRET = "LST failed, error: No access secret key found for {consumer_key}"
INVALID_TOKEN = "invalid token"
INVALID_SIGNATURE = "invalid signature"
INVALID_TIMESTAMP = "invalid timestamp"
INVALID_NONCE = "invalid nonce"
INVALID_CHALLENGE = "invalid diffie_hellman_challenge"
INVALID_LST = "invalid live session token"


@dataclass(frozen=True, slots=True)
class OAuthSimConfig:
    """The OAuth side of the ``webapi`` mode."""

    lst_lifetime_s: float = 86_400.0
    """How long an issued live session token is good for (IBKR: about 24 h)."""
    timestamp_window_s: float = 300.0
    """``oauth_timestamp`` may be this far from the simulator's clock, either way."""
    consumer_key: str = ""
    """The registered consumer key ("" = nine random capitals)."""


class OAuthError(Exception):
    """A request IBKR would answer with 401; ``text`` is the error after ``id: <n>, error:``."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(slots=True)
class _Lst:
    key: bytes
    expires_at: float


def java_bytes(value: int) -> bytes:
    """Java's ``BigInteger.toByteArray()`` of a non-negative int: minimal two's complement."""
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


class OAuthServer:
    """Verifies signed requests and issues live session tokens for one registered consumer."""

    def __init__(
        self,
        keys: OAuthKeys,
        config: OAuthSimConfig,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.lst_lifetime_s = config.lst_lifetime_s
        self._window_s = config.timestamp_window_s
        self._clock = clock
        self._lsts: list[_Lst] = []
        self._nonces: set[str] = set()
        self._nonce_order: deque[tuple[float, str]] = deque()
        self._error_ids = itertools.count(10_000 + secrets.randbelow(90_000))
        self.issued = 0

    def error_body(self, text: str) -> dict[str, Any]:
        """IBKR's 401 body for ``text``."""
        return {"error": f"id: {next(self._error_ids)}, error: {text}", "statusCode": 401}

    def authenticate(
        self, method: str, url: str, authorization: str | None, *, lst_request: bool
    ) -> dict[str, str]:
        """The verified OAuth parameters of a request, or :class:`OAuthError`.

        ``url`` is scheme://Host/path as the client addressed it (its query is not signed).
        """
        pairs = self._parameters(authorization)
        params = dict(pairs)
        if params.get("oauth_consumer_key") != self.keys.consumer_key:
            raise OAuthError(INVALID_CONSUMER)
        if params.get("oauth_token") != self.keys.access_token:
            if lst_request:
                raise OAuthError(NO_ACCESS_SECRET.format(consumer_key=self.keys.consumer_key))
            raise OAuthError(INVALID_TOKEN)
        self._check_timestamp(params.get("oauth_timestamp", ""))
        nonce = params.get("oauth_nonce", "")
        if not nonce or nonce in self._nonces:
            raise OAuthError(INVALID_NONCE)
        # oauthlib takes (name, value) pairs; its stub says dict.
        signed = [(k, v) for k, v in pairs if k != "oauth_signature"]
        base = signature_base_string(
            cast(HttpMethod, method.upper()),
            base_string_uri(url),
            normalize_parameters(signed),  # type: ignore[arg-type]
        )
        if lst_request:
            self._verify_rsa(params, base)
        else:
            self._verify_hmac(params, base)
        self._remember(nonce)
        return params

    def issue(self, challenge_hex: str) -> dict[str, Any]:
        """Answer a verified LST request: DH response, LST signature and expiry (epoch ms)."""
        p, g = self.keys.dh_prime, self.keys.dh_generator
        try:
            challenge = int(challenge_hex, 16)
        except ValueError:
            raise OAuthError(INVALID_CHALLENGE) from None
        if not 1 < challenge < p - 1:
            raise OAuthError(INVALID_CHALLENGE)
        exponent = secrets.randbits(256)
        shared = pow(challenge, exponent, p)
        token = hmac.digest(java_bytes(shared), self.keys.access_token_secret, hashlib.sha1)
        expires_at = self._clock() + self.lst_lifetime_s
        self._lsts.append(_Lst(token, expires_at))
        self.issued += 1
        consumer = self.keys.consumer_key.encode()
        return {
            "diffie_hellman_response": format(pow(g, exponent, p), "x"),
            "live_session_token_signature": hmac.new(token, consumer, hashlib.sha1).hexdigest(),
            "live_session_token_expiration": int(expires_at * 1000),
        }

    def expire_all(self) -> None:
        """Every live session token issued so far stops working now."""
        self._lsts.clear()

    def _parameters(self, authorization: str | None) -> list[tuple[str, str]]:
        if not authorization:
            raise OAuthError(INVALID_CONSUMER)
        try:
            return list(
                collect_parameters(
                    headers={"Authorization": authorization},
                    exclude_oauth_signature=False,
                )
            )
        except ValueError:
            raise OAuthError(INVALID_CONSUMER) from None

    def _check_timestamp(self, raw: str) -> None:
        try:
            stamp = int(raw)
        except ValueError:
            raise OAuthError(INVALID_TIMESTAMP) from None
        if abs(self._clock() - stamp) > self._window_s:
            raise OAuthError(INVALID_TIMESTAMP)

    def _verify_rsa(self, params: Mapping[str, str], base: str) -> None:
        if params.get("oauth_signature_method") != "RSA-SHA256":
            raise OAuthError(INVALID_SIGNATURE)
        if "diffie_hellman_challenge" not in params:
            raise OAuthError(INVALID_CHALLENGE)
        prepend = self.keys.access_token_secret.hex()
        try:
            self.keys.signature_public_key.verify(
                base64.b64decode(params.get("oauth_signature", ""), validate=True),
                (prepend + base).encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            raise OAuthError(INVALID_SIGNATURE) from None

    def _verify_hmac(self, params: Mapping[str, str], base: str) -> None:
        if params.get("oauth_signature_method") != "HMAC-SHA256":
            raise OAuthError(INVALID_SIGNATURE)
        now = self._clock()
        self._lsts = [lst for lst in self._lsts if lst.expires_at > now]
        if not self._lsts:
            raise OAuthError(INVALID_LST)
        given = params.get("oauth_signature", "").encode()
        for lst in reversed(self._lsts):
            expected = base64.b64encode(hmac.digest(lst.key, base.encode(), hashlib.sha256))
            if hmac.compare_digest(expected, given):
                return
        raise OAuthError(INVALID_SIGNATURE)

    def _remember(self, nonce: str) -> None:
        # A nonce only needs remembering while its request's timestamp could still pass.
        now = self._clock()
        while self._nonce_order and self._nonce_order[0][0] < now - 2 * self._window_s:
            self._nonces.discard(self._nonce_order.popleft()[1])
        self._nonces.add(nonce)
        self._nonce_order.append((now, nonce))
