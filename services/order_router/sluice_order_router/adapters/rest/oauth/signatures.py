"""The two signature methods IBKR uses, on ``cryptography``: RSA-SHA256 and HMAC-SHA256.

Both return the signature as IBKR wants it in the header: base64, then percent-encoded.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from .rfc5849 import pct


def rsa_sha256(key: RSAPrivateKey, base_string: str) -> str:
    """RSASSA-PKCS1-v1_5 with SHA-256 over the base string (the live-session-token request)."""
    raw = key.sign(base_string.encode(), padding.PKCS1v15(), hashes.SHA256())
    return pct(base64.b64encode(raw).decode())


def hmac_digest(key: bytes, message: bytes, algorithm: hashes.HashAlgorithm) -> bytes:
    """HMAC of ``message`` under ``key`` with ``algorithm``."""
    mac = hmac.HMAC(key, algorithm)
    mac.update(message)
    return mac.finalize()


def hmac_sha256(live_session_token: str, base_string: str) -> str:
    """HMAC-SHA256 keyed with the live session token's bytes (every protected request)."""
    key = base64.b64decode(live_session_token)
    return pct(base64.b64encode(hmac_digest(key, base_string.encode(), hashes.SHA256())).decode())
