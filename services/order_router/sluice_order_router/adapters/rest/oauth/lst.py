"""IBKR's live session token (LST): the prepend, the derivation from the DH secret, validation.

All hand-written: this is IBKR's extension of OAuth 1.0a (first-party "self-service" consumers),
which no OAuth library implements. Pure functions, no I/O.
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from . import dh
from .signatures import hmac_digest

RENEW_MARGIN_S = 60.0
RENEW_FRACTION = 0.1


def decrypt_prepend(key: RSAPrivateKey, encrypted_secret_b64: str) -> str:
    """The access-token secret, RSA PKCS#1 v1.5-decrypted with the encryption key, as hex."""
    return key.decrypt(base64.b64decode(encrypted_secret_b64), padding.PKCS1v15()).hex()


def derive(k: int, prepend: str) -> str:
    """``base64(HMAC-SHA1(key=K as Java bytes, msg=bytes.fromhex(prepend)))``."""
    digest = hmac_digest(dh.java_bytes(k), bytes.fromhex(prepend), hashes.SHA1())
    return base64.b64encode(digest).decode()


def is_valid(token: str, consumer_key: str, signature_hex: str) -> bool:
    """Whether ``HMAC-SHA1(key=LST bytes, msg=consumer key)`` is IBKR's
    ``live_session_token_signature`` (a mismatch: the exchange went wrong, never use the token)."""
    expected = hmac_digest(base64.b64decode(token), consumer_key.encode(), hashes.SHA1()).hex()
    return hmac.compare_digest(expected, signature_hex.strip().lower())


@dataclass(frozen=True, slots=True)
class LiveSessionToken:
    """A validated LST and its life, in wall-clock epoch seconds."""

    value: str = field(repr=False)
    obtained_at: float
    expires_at: float

    @property
    def renew_at(self) -> float:
        """When to renew: before expiry by 10 % of its life, at most 60 s (IBKR's ~24 h token
        is renewed a minute early; a short simulator token a tenth of its life early)."""
        life = max(0.0, self.expires_at - self.obtained_at)
        return self.expires_at - min(RENEW_MARGIN_S, RENEW_FRACTION * life)


class LstResponseError(ValueError):
    """IBKR's ``/oauth/live_session_token`` answer is unusable (the text names why, no secret)."""


def from_response(
    body: Any, *, group: dh.DhGroup, a: int, prepend: str, consumer_key: str, now: float
) -> LiveSessionToken:
    """Derive and validate the LST from IBKR's 200 answer, or raise ``LstResponseError``."""
    if not isinstance(body, dict):
        raise LstResponseError("live session token answer is not a JSON object")
    try:
        response = str(body["diffie_hellman_response"])
        signature = str(body["live_session_token_signature"])
        expires_ms = int(body["live_session_token_expiration"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LstResponseError(f"live session token answer lacks {exc}") from None
    try:
        token = derive(dh.shared_secret(group, a, response), prepend)
    except ValueError as exc:
        raise LstResponseError(f"bad diffie_hellman_response: {exc}") from None
    if not is_valid(token, consumer_key, signature):
        raise LstResponseError("live_session_token_signature does not match: token discarded")
    return LiveSessionToken(value=token, obtained_at=now, expires_at=expires_ms / 1000)
