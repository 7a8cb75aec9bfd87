"""The fixed egress door, pure: the proxy URL as httpx needs it, where a gateway URL points, and
whether the IP IBKR sees is one we registered.

Every message here is safe to print: none contains a password or any part of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit, urlunsplit

from sluice_proto.session import ApiPath, EgressReport, EgressStatus

_SCHEMES = {"socks5": "socks5h", "socks5h": "socks5h"}
_ENCODE_HINT = "percent-encode / ? # @ in the user name or password (%2F %3F %23 %40)"


class EgressConfigError(ValueError):
    """The proxy URL is unusable; the message never contains its credentials."""


@dataclass(frozen=True, slots=True)
class EgressProxy:
    """A SOCKS5 proxy with DNS on the proxy side (``socks5h``): the door every request uses."""

    url: str
    display: str
    secrets: tuple[str, ...]


def parse_proxy(raw: str) -> EgressProxy:
    """Normalise ``socks5://`` to ``socks5h://`` so names are resolved by the proxy, never here.

    A password with an unencoded ``/ ? #`` ends the authority early, and one with ``@`` leaves
    two: both are told apart from a plain typo so the message can say what to do.
    """
    parts = urlsplit(raw.strip())
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise EgressConfigError("the egress proxy must be a socks5h://user:password@host:port URL")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise EgressConfigError(
            f"the egress proxy URL does not end at host:port (a / ? or # splits it); {_ENCODE_HINT}"
        )
    if parts.netloc.count("@") > 1:
        raise EgressConfigError(f"the egress proxy URL has more than one @; {_ENCODE_HINT}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if not parts.hostname:
        raise EgressConfigError(
            "the egress proxy URL names no host (socks5h://user:pass@HOST:port)"
        )
    if port is None:
        raise EgressConfigError("the egress proxy URL has no port (socks5h://user:pass@host:PORT)")
    if not 0 < port < 65536:
        raise EgressConfigError("the egress proxy port must be a number 1-65535")
    secrets = tuple(s for s in (parts.username, parts.password) if s)
    netloc = parts.netloc.rpartition("@")[2]
    display = urlunsplit((scheme, f"***@{netloc}" if secrets else netloc, "", "", ""))
    return EgressProxy(
        url=urlunsplit((scheme, parts.netloc, "", "", "")), display=display, secrets=secrets
    )


def is_loopback(host: str) -> bool:
    """``localhost``, ``127.x`` or ``::1``: this machine (or this pod)."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ip_address(name).is_loopback
    except ValueError:
        return False


def is_local(host: str) -> bool:
    """Whether only this machine or cluster can reach ``host``, never a remote proxy: loopback,
    private or link-local addresses, Kubernetes names (``*.svc``, ``*.cluster.local``) and
    single-label names such as a compose service (``client-portal``)."""
    name = host.strip("[]").lower().rstrip(".")
    if is_loopback(name):
        return True
    try:
        address = ip_address(name)
    except ValueError:
        return "." not in name or name.endswith((".svc", ".cluster.local", ".internal"))
    return address.is_private or address.is_link_local


def gateway_url_problem(url: str) -> str | None:
    """What is wrong with a Client Portal / Web API base URL, or None.

    https, a host and a port in range; plain http only to a loopback host (a local simulator or
    a gateway in the same pod), since anything else would carry the session in clear text.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return "must be an https://host[:port]/v1/api URL"
    if not parts.hostname:
        return "names no host (https://HOST:port/v1/api)"
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is not None and not 0 < port < 65536:
        return "has a port that is not a number 1-65535"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "must use https (plain http is accepted only for localhost/127.0.0.1/::1)"
    return None


def url_host(url: str) -> str:
    """The host of an already valid URL."""
    return urlsplit(url.strip()).hostname or ""


def expected_ips(value: object) -> object:
    """``SLUICE_EXPECTED_EGRESS_IP=1.2.3.4,5.6.7.8`` (commas or spaces) → a tuple of strings."""
    if isinstance(value, str):
        return tuple(part for part in value.replace(",", " ").split() if part)
    return value


@dataclass(frozen=True, slots=True)
class EgressVerdict:
    """One egress check's outcome and a sentence saying why."""

    status: EgressStatus
    message: str
    holds: bool
    """Whether this verdict holds trading: a mismatch always, an unknown only while an
    expected IP is configured (otherwise there was nothing to prove)."""

    def report(
        self, account: str, path: ApiPath, observed: str | None, expected: tuple[str, ...]
    ) -> EgressReport:
        """This verdict as the report the session-keeper gets."""
        return EgressReport(
            account=account,
            ok=not self.holds,
            observed_ip=observed,
            expected_ip=", ".join(expected) or None,
            message=self.message,
            status=self.status,
            path=path,
        )


def egress_verdict(
    observed: str | None, expected: tuple[str, ...], *, source: str, failure: str | None = None
) -> EgressVerdict:
    """Whether the IP IBKR sees is one of those we registered (``source`` says who told us)."""
    wanted = ", ".join(expected)
    if observed is None:
        why = failure or f"{source} gave no IP"
        held = "; trading held until it can" if expected else ""
        return EgressVerdict(
            "unknown", f"egress unknown: could not check ({why}){held}", bool(expected)
        )
    if not expected:
        message = f"IBKR sees {observed}; no expected egress IP configured"
        return EgressVerdict("ok", message, False)
    if observed.strip() not in expected:
        message = f"egress mismatch: {source} sees {observed}, expected {wanted}"
        return EgressVerdict("mismatch", message, True)
    return EgressVerdict("ok", f"egress ok: {source} sees {observed}", False)
