"""Start-up guards: paper and live must never be confused.

``TRADING_MODE``, the gateway port and the prefix of every account each say paper or live;
all must agree, and live additionally needs an explicit opt-in. (The egress topology's own
checks are in ``topology``.) Pure: raises, never exits.

IBKR's account-id prefixes (docs/order-router.md "Accounts" cites the sources): a live
account starts with ``U`` (individual), ``F`` (advisor / master) or ``I`` (IBroker,
introducing broker); its paper twin puts a ``D`` in front (``DU``, ``DF``, ``DI``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

TradingMode = Literal["paper", "live"]

PAPER_PORTS = frozenset({7497, 4002})
LIVE_PORTS = frozenset({7496, 4001})

ACCOUNT_KINDS: dict[str, str] = {
    "U": "individual",
    "F": "advisor/master",
    "I": "IBroker (introducing broker)",
}
"""Live prefix -> the kind of account; ``D`` + the prefix is the paper twin."""


class GuardError(Exception):
    """Disagreements that must stop the router before it connects, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("refusing to start: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class GuardInput:
    """What the guards look at: ``account`` is ``IBKR_ACCOUNT``, ``accounts`` the allow-list
    ``IBKR_ACCOUNTS`` (empty: none given)."""

    mode: TradingMode
    port: int | None
    account: str
    live_enabled: bool = False
    accounts: tuple[str, ...] = ()


def port_mode(port: int) -> TradingMode | None:
    """What a port says (None for a non-standard port, e.g. a simulator on another port)."""
    if port in PAPER_PORTS:
        return "paper"
    if port in LIVE_PORTS:
        return "live"
    return None


def account_kind(account: str) -> tuple[TradingMode, str] | None:
    """Paper or live, and the kind, by IBKR's prefix; None for an id of no known kind."""
    paper = account.startswith("D")
    live_id = account[1:] if paper else account
    for prefix, kind in ACCOUNT_KINDS.items():
        if live_id.startswith(prefix):
            return ("paper" if paper else "live"), kind
    return None


def account_mode(account: str) -> TradingMode | None:
    """What an account id says: ``DU``/``DF``/``DI`` paper, ``U``/``F``/``I`` live."""
    known = account_kind(account)
    return known[0] if known is not None else None


def account_problem(variable: str, account: str, mode: TradingMode) -> str | None:
    """Why ``account`` may not trade in ``mode`` (named after ``variable``), or None."""
    by_account = account_mode(account)
    if by_account is None:
        return (
            f"{variable}={account!r} is not an IBKR account id of a known kind "
            "(paper DU/DF/DI..., live U/F/I...)"
        )
    if by_account != mode:
        return f"TRADING_MODE={mode} but {variable}={account} is a {by_account} account"
    return None


def refused_accounts(accounts: Iterable[str], mode: TradingMode) -> dict[str, str]:
    """The accounts (e.g. a login's ``managedAccounts``) that must not trade in ``mode``,
    each with why."""
    refused: dict[str, str] = {}
    for account in accounts:
        problem = account_problem("account", account, mode)
        if problem is not None:
            refused[account] = problem
    return refused


def check_guards(given: GuardInput) -> None:
    """Raise ``GuardError`` naming every disagreement between mode, port and accounts."""
    problems: list[str] = []
    named = [("IBKR_ACCOUNT", given.account)]
    named += [("IBKR_ACCOUNTS", a) for a in given.accounts if a != given.account]
    for variable, account in named:
        problem = account_problem(variable, account, given.mode)
        if problem is not None:
            problems.append(problem)
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
