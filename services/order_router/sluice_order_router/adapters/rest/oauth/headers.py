"""The ``Authorization`` headers: RSA-SHA256 for the LST request, HMAC-SHA256 for the rest.

Nonce and timestamp are arguments so the headers are reproducible in tests; ``new_nonce`` makes a
fresh one.
"""

from __future__ import annotations

import string

from oauthlib.common import generate_token

from .credentials import OAuthCredentials
from .rfc5849 import authorization_header, base_string
from .signatures import hmac_sha256, rsa_sha256

NONCE_LENGTH = 24
_ALPHANUMERIC = string.ascii_letters + string.digits


def new_nonce() -> str:
    """A fresh random alphanumeric nonce (IBKR refuses a replayed one)."""
    return generate_token(NONCE_LENGTH, _ALPHANUMERIC)


def oauth_params(
    credentials: OAuthCredentials, method: str, *, nonce: str, timestamp: int
) -> dict[str, str]:
    """The ``oauth_*`` parameters every request carries, for signature method ``method``."""
    return {
        "oauth_consumer_key": credentials.consumer_key,
        "oauth_nonce": nonce,
        "oauth_signature_method": method,
        "oauth_timestamp": str(timestamp),
        "oauth_token": credentials.access_token,
    }


def lst_request_authorization(
    credentials: OAuthCredentials, url: str, dh_challenge: str, *, nonce: str, timestamp: int
) -> str:
    """``POST /oauth/live_session_token``: the DH challenge signed with the private signature
    key over IBKR's base string (the prepend in front of the RFC 5849 one)."""
    params = oauth_params(credentials, "RSA-SHA256", nonce=nonce, timestamp=timestamp)
    params["diffie_hellman_challenge"] = dh_challenge
    base = base_string("POST", url, params.items(), prepend=credentials.prepend)
    params["oauth_signature"] = rsa_sha256(credentials.signature_key, base)
    return authorization_header(credentials.realm, params)


def request_authorization(
    credentials: OAuthCredentials,
    live_session_token: str,
    method: str,
    url: str,
    *,
    nonce: str,
    timestamp: int,
) -> str:
    """Any later request: HMAC-SHA256 keyed with the LST over the OAuth parameters alone.

    Neither the query nor a JSON body is signed: IBKR's first-party example signs the OAuth
    parameters only, and so does IBind, whose GETs with a query IBKR answers (docs/oauth.md).
    """
    params = oauth_params(credentials, "HMAC-SHA256", nonce=nonce, timestamp=timestamp)
    base = base_string(method, url, params.items())
    params["oauth_signature"] = hmac_sha256(live_session_token, base)
    return authorization_header(credentials.realm, params)
