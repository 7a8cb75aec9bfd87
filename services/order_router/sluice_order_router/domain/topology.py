"""The three egress topologies and what each must (not) be configured with. Pure.

- ``webapi``: IBKR's hosted Web API with OAuth 1.0a, from the router through the SOCKS5h proxy.
- ``cpgateway``: a Client Portal Gateway beside the router; the router → gateway hop is never
  proxied (the Java gateway opens its own connection to IBKR: its egress is what IBKR sees).
- ``socket``: IB Gateway / TWS, fixed egress by bind address on a reserved IP or by NAT.

``check_topology`` lists every contradiction at once, each as (variable, what to change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sluice_order_router.domain.egress import is_local

Topology = Literal["socket", "cpgateway", "webapi"]
TOPOLOGIES: tuple[Topology, ...] = ("socket", "cpgateway", "webapi")
PROXY_VARIABLES = ("QUOTAGUARDSHIELD_URL", "SLUICE_EGRESS_PROXY_URL")
PROXY_VARIABLE = PROXY_VARIABLES[0]
DEFAULT_BASE_URL: dict[Topology, str] = {
    "cpgateway": "https://localhost:5000/v1/api",
    "webapi": "https://api.ibkr.com/v1/api",
}
OAUTH_FILES = (
    "consumer_key",
    "access_token",
    "access_token_secret",
    "private_signature.pem",
    "private_encryption.pem",
    "dhparam.pem",
)


def topology_of(value: object) -> object:
    """``IBKR_API``, case-insensitive; the older ``rest`` means ``cpgateway``."""
    if isinstance(value, str):
        name = value.strip().lower()
        return "cpgateway" if name == "rest" else name
    return value


@dataclass(frozen=True, slots=True)
class TopologyInput:
    """What the topology checks look at (already parsed; the OAuth files as found on disk)."""

    api: Topology
    proxy: bool
    egress_direct: bool
    expected_ip: bool
    base_url_host: str | None
    oauth_dir: str | None
    oauth_dir_exists: bool = False
    oauth_missing: tuple[str, ...] = ()


def check_topology(given: TopologyInput) -> list[tuple[str, str]]:
    """Every contradiction in the configured topology, as (variable, what to change)."""
    problems: list[tuple[str, str]] = []
    if given.proxy and given.api == "socket":
        problems.append((PROXY_VARIABLE, _SOCKET_PROXY))
    if given.proxy and given.api == "cpgateway":
        problems.append((PROXY_VARIABLE, _CPGATEWAY_PROXY))
    elif given.proxy and given.base_url_host is not None and is_local(given.base_url_host):
        problems.append((PROXY_VARIABLE, _local_gateway(given.base_url_host)))
    if given.api == "webapi":
        problems.extend(_webapi(given))
    if given.egress_direct and given.proxy:
        problems.append(("SLUICE_EGRESS_DIRECT", _DIRECT_AND_PROXY))
    elif given.egress_direct and not given.expected_ip:
        problems.append(("SLUICE_EXPECTED_EGRESS_IP", _DIRECT_UNVERIFIED))
    return problems


def _webapi(given: TopologyInput) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not given.proxy and not given.egress_direct:
        problems.append(
            (
                PROXY_VARIABLE,
                "IBKR_API=webapi needs the egress proxy, socks5h://user:pass@host:port; if this "
                "host already leaves from a reserved IP registered with IBKR, set "
                "SLUICE_EGRESS_DIRECT=true",
            )
        )
    if given.oauth_dir is None:
        problems.append(
            (
                "IBKR_OAUTH_DIR",
                "IBKR_API=webapi needs the directory holding the OAuth files "
                f"({', '.join(OAUTH_FILES)})",
            )
        )
    elif not given.oauth_dir_exists:
        problems.append(("IBKR_OAUTH_DIR", f"{given.oauth_dir} is not a directory"))
    elif given.oauth_missing:
        missing = ", ".join(given.oauth_missing)
        problems.append(("IBKR_OAUTH_DIR", f"{given.oauth_dir} lacks {missing}"))
    return problems


def _local_gateway(host: str) -> str:
    return (
        f"a remote egress proxy cannot reach the local or cluster-internal gateway host {host!r}, "
        "so every request would fail; use IBKR_API=webapi with IBKR's hosted Web API "
        "(IBKR_CP_BASE_URL unset or https://api.ibkr.com/v1/api), or unset the proxy"
    )


_SOCKET_PROXY = (
    "IBKR_API=socket cannot send through an egress proxy, so orders would leave by the direct "
    "route; unset the proxy and give the socket path its own fixed egress (IBKR_BIND_ADDRESS on "
    "a reserved IP, or a NAT/egress gateway), or use IBKR_API=webapi"
)
_CPGATEWAY_PROXY = (
    "IBKR_API=cpgateway never proxies the router -> gateway hop: the Client Portal Gateway "
    "opens its own connection to IBKR, so IBKR would see the gateway's address, not the proxy's; "
    "unset the proxy and fix the gateway's egress (NAT or the static-egress component), or use "
    "IBKR_API=webapi"
)
_DIRECT_AND_PROXY = (
    "SLUICE_EGRESS_DIRECT=true says this host leaves directly from a reserved IP, but an egress "
    "proxy is configured too; set one or the other"
)
_DIRECT_UNVERIFIED = (
    "SLUICE_EGRESS_DIRECT=true claims a reserved source IP; set SLUICE_EXPECTED_EGRESS_IP to it "
    "so the router verifies the claim before trading"
)
