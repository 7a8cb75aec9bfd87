"""Start-up guards: paper and live must never be confused.

``TRADING_MODE``, the gateway port and the account prefix each say paper or live; all three
must agree, and live additionally needs an explicit opt-in. (The egress topology's own checks
are in ``topology``.) Pure: raises, never exits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TradingMode = Literal["paper", "live"]

PAPER_PORTS = frozenset({7497, 4002})
LIVE_PORTS = frozenset({7496, 4001})


class GuardError(Exception):
    """Disagreements that must stop the router before it connects, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("refusing to start: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class GuardInput:
    """What the guards look at."""

    mode: TradingMode
    port: int | None
    account: str
    live_enabled: bool = False


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
    if problems:
        raise GuardError(problems)
