"""RFC 5849 (OAuth 1.0) pieces, from oauthlib: percent-encoding, base string, header.

IBKR's only twist here is the optional *prepend* in front of the live-session-token request's
base string (the decrypted access-token secret, hex); everything else is the RFC as oauthlib has it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from oauthlib.oauth1.rfc5849 import signature, utils

pct: Callable[[str], str] = utils.escape
"""RFC 3986 percent-encoding as RFC 5849 §3.6 uses it (unreserved characters kept)."""

# typeshed's stub says ``dict``, but the function iterates (name, value) pairs: a list keeps the
# repeated query names RFC 5849 §3.4.1.3.2 sorts by value.
_normalize = cast(Callable[[Iterable[tuple[str, str]]], str], signature.normalize_parameters)


def base_string(method: str, url: str, params: Iterable[tuple[str, str]], prepend: str = "") -> str:
    """``prepend + METHOD & pct(base URI) & pct(normalized params)`` (RFC 5849 §3.4.1).

    ``url`` may carry a query: the base string URI drops it (IBKR does not sign the query, see
    ``headers.request_authorization``). The default port of the scheme is dropped as the RFC says.
    """
    uri = signature.base_string_uri(url)
    return prepend + signature.signature_base_string(
        cast(Any, method.upper()), uri, _normalize(list(params))
    )


def authorization_header(realm: str, params: dict[str, str]) -> str:
    """``OAuth realm="...", k="v", ...`` with the OAuth parameters sorted by name.

    Values go in as given: IBKR's parameter values are alphanumeric or hex, and ``oauth_signature``
    is already percent-encoded by the signer (as IBKR expects it).
    """
    pairs = ", ".join(f'{name}="{value}"' for name, value in sorted(params.items()))
    return f'OAuth realm="{realm}", {pairs}'
