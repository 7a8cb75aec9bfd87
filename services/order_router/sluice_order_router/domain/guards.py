"""Start-up guards: paper and live must never be confused, and egress never goes direct.

``TRADING_MODE``, the gateway port and the account prefix each say paper or live; all three
must agree, and live additionally needs an explicit opt-in. A configured egress proxy is a
promise that nothing reaches IBKR directly, so a path that cannot use it must not start.
Pure: raises, never exits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TradingMode = Literal["paper", "live"]

PAPER_PORTS = frozenset({7497, 4002})
LIVE_PORTS = frozenset({7496, 4001})


class GuardError(Exception):
    """A disagreement that must stop the router before it connects."""


@dataclass(frozen=True, slots=True)
class GuardInput:
    """What the guards look at."""

    mode: TradingMode
    port: int | None
    account: str
    live_enabled: bool = False
    api: Literal["socket", "rest"] = "socket"
    proxy_configured: bool = False


def port_mode(port: int) -> TradingMode | None:
    """What a port says (None for a non-standard port, e.g. a simulator on another port)."""
    if port in PAPER_PORTS:
        return "paper"
    if port in LIVE_PORTS:
        return "live"
    return None


def account_mode(account: str) -> TradingMode | None:
    """``DU…`` is paper, ``U…`` is live; anything else is not an IBKR account id we know."""
    if account.startswith("DU"):
        return "paper"
    if account.startswith("U"):
        return "live"
    return None


def check_guards(given: GuardInput) -> None:
    """Raise ``GuardError`` naming every disagreement between mode, port and account."""
    problems: list[str] = []
    by_account = account_mode(given.account)
    if by_account is None:
        problems.append(
            f"IBKR_ACCOUNT={given.account!r} is neither a paper (DU...) nor a live (U...) account"
        )
    elif by_account != given.mode:
        problems.append(
            f"TRADING_MODE={given.mode} but IBKR_ACCOUNT={given.account} is a {by_account} account"
        )
    by_port = port_mode(given.port) if given.port is not None else None
    if by_port is not None and by_port != given.mode:
        problems.append(f"TRADING_MODE={given.mode} but IBKR_PORT={given.port} is a {by_port} port")
    if given.mode == "live" and given.port is not None and by_port is None:
        problems.append(
            f"TRADING_MODE=live needs a live port (7496 TWS, 4001 IB Gateway), got {given.port}"
        )
    if given.mode == "live" and not given.live_enabled:
        problems.append("TRADING_MODE=live but live trading is not enabled (SLUICE_ENABLE_LIVE=1)")
    if given.proxy_configured and given.api == "socket":
        problems.append(
            "an egress proxy is configured (QUOTAGUARDSHIELD_URL/SLUICE_EGRESS_PROXY_URL) but "
            "IBKR_API=socket cannot send through it, so orders would leave by the direct route; "
            "use IBKR_API=rest, or unset the proxy and give the socket path its own fixed egress "
            "(IBKR_BIND_ADDRESS on a reserved IP, or a NAT/egress gateway)"
        )
    if problems:
        raise GuardError("refusing to start: " + "; ".join(problems))
