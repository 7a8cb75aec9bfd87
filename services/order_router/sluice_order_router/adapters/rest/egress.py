"""The fixed egress door: the proxy URL as httpx needs it, and the expected-IP verdict (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

_SCHEMES = {"socks5": "socks5h", "socks5h": "socks5h"}


class EgressConfigError(ValueError):
    """The proxy URL is unusable; the message never contains its credentials."""


@dataclass(frozen=True, slots=True)
class EgressProxy:
    """A SOCKS5 proxy with DNS on the proxy side (``socks5h``): the door every request uses."""

    url: str
    display: str
    secrets: tuple[str, ...]


def parse_proxy(raw: str) -> EgressProxy:
    """Normalise ``socks5://`` to ``socks5h://`` so names are resolved by the proxy, never here."""
    parts = urlsplit(raw.strip())
    scheme = _SCHEMES.get(parts.scheme.lower())
    host = parts.hostname
    if scheme is None or not host or parts.port is None:
        raise EgressConfigError(
            f"egress proxy must be socks5h://user:pass@host:port (got scheme {parts.scheme!r})"
        )
    secrets = tuple(s for s in (parts.username, parts.password) if s)
    netloc = parts.netloc.rpartition("@")[2]
    display = urlunsplit((scheme, f"***@{netloc}" if secrets else netloc, "", "", ""))
    return EgressProxy(
        url=urlunsplit((scheme, parts.netloc, "", "", "")), display=display, secrets=secrets
    )


def egress_verdict(observed: str | None, expected: str | None) -> tuple[bool, str]:
    """Whether the IP IBKR sees is the one we registered, and a sentence saying why not."""
    if observed is None:
        return False, "could not read the IP IBKR sees (/sso/validate)"
    if expected is None:
        return True, f"IBKR sees {observed}; no expected egress IP configured"
    if observed.strip() != expected.strip():
        return False, f"egress mismatch: IBKR sees {observed}, expected {expected}"
    return True, f"egress ok: IBKR sees {observed}"
