"""Which accounts a router serves: its login's, limited by the allow-list. Pure.

Before the link is up the router serves what it was configured with (the allow-list, else the
default account); once IBKR says which accounts the login manages (socket ``managedAccounts``,
REST ``/iserver/accounts``) it serves every one of them that the allow-list admits and the
paper/live guard passes. An allowed account the login does not manage, or one of the other
trading mode, is refused: its orders are rejected, never sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sluice_order_router.domain.guards import TradingMode, refused_accounts


@dataclass(slots=True)
class Accounts:
    """The router's accounts: ``default`` (``IBKR_ACCOUNT``), ``allowed`` (``IBKR_ACCOUNTS``
    with the default in it; empty: every account the login manages)."""

    default: str
    mode: TradingMode
    allowed: frozenset[str] = frozenset()
    managed: tuple[str, ...] | None = None
    """What IBKR said the login manages (None until the first connect)."""
    refused: dict[str, str] = field(default_factory=dict)
    elsewhere: set[str] = field(default_factory=set)
    """Accounts another router holds (found at a later connect, or claimed while this router
    could not renew its own claim): never served here."""

    @property
    def configured(self) -> frozenset[str]:
        """What the router claims before IBKR has said anything."""
        return self.allowed or frozenset({self.default})

    @property
    def serving(self) -> frozenset[str]:
        """The accounts whose orders this router takes (refused ones included: it answers
        them with a rejection)."""
        if self.managed is None or self.allowed:
            return self.configured - self.elsewhere
        return frozenset({*self.managed, self.default}) - self.elsewhere

    @property
    def trading(self) -> frozenset[str]:
        """The accounts that may trade: served and not refused."""
        return self.serving - set(self.refused)

    @property
    def leader(self) -> str:
        """The account whose session commands drive the login's one session: the default
        account, else (refused) the first that trades."""
        trading = self.trading
        if self.default in trading or not trading:
            return self.default
        return min(trading)

    def serves(self, account: str) -> bool:
        """True when the account's orders are this router's to place or reject."""
        return account in self.serving

    def learn(self, managed: Iterable[str]) -> dict[str, str]:
        """Take IBKR's list of the login's accounts; the accounts newly refused, with why."""
        self.managed = tuple(managed)
        refused = refused_accounts(self.serving, self.mode)
        listed = ", ".join(self.managed) or "none"
        for account in self.serving:
            if account not in self.managed:
                refused[account] = (
                    f"account {account} is not managed by this login (it manages: {listed})"
                )
        new = {a: why for a, why in refused.items() if self.refused.get(a) != why}
        self.refused = refused
        return new
