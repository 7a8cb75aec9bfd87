"""OAuth 1.0a for IBKR's hosted Web API (first-party consumers), as an ``httpx.Auth``.

Libraries do what they can: ``oauthlib`` the RFC 5849 percent-encoding, parameter normalisation
and base string; ``cryptography`` RSA (PKCS#1 v1.5 decryption, RSA-SHA256 signing), HMAC and the
PEM DH parameters. Hand-written, because it is IBKR's own extension that no OAuth library knows:
the *prepend* (decrypted access-token secret) in front of the token request's base string, the
Diffie-Hellman exchange, deriving and validating the live session token, and HMAC-SHA256 keyed
with that token instead of RFC 5849's ``consumer_secret&token_secret``.

Modules, one job each: ``credentials`` (read the files), ``rfc5849`` (oauthlib), ``signatures``
(RSA/HMAC), ``dh`` (the exchange), ``lst`` (the token), ``headers`` (the Authorization headers),
``auth`` (the httpx flow).
"""

from .auth import LST_PATH, IbkrOAuth
from .credentials import FILES, OAuthConfigError, OAuthCredentials, load_credentials
from .lst import LiveSessionToken

__all__ = [
    "FILES",
    "LST_PATH",
    "IbkrOAuth",
    "LiveSessionToken",
    "OAuthConfigError",
    "OAuthCredentials",
    "load_credentials",
]
