"""Risk limits: built-in defaults, overridden per symbol, per account, per account and symbol.

Resolution order for one ``(account, symbol)``, later wins: ``defaults`` → ``symbols[symbol]``
→ ``accounts[account].limits`` → ``accounts[account].symbols[symbol]``. Every combination the
configuration names is resolved (and so validated) when the book is built.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from sluice_proto import Instrument

Positive = Annotated[Decimal, Field(gt=0)]


class Limits(BaseModel):
    """Every threshold for one account and symbol; the defaults are deliberately conservative."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_symbols: frozenset[str] | None = None
    """None allows every symbol not denied; a set allows only those."""
    denied_symbols: frozenset[str] = frozenset()
    max_order_quantity: Positive = Decimal(10_000)
    max_order_notional: Positive = Decimal(1_000_000)
    max_position: Positive = Decimal(50_000)
    """Largest absolute position in one instrument, counting working orders on the same side."""
    max_gross_exposure: Positive = Decimal(5_000_000)
    """Account-wide: sum of |position| x mark plus working orders' notional."""
    max_open_orders: int = Field(100, gt=0)
    max_orders_per_window: int = Field(20, gt=0)
    """Orders one strategy may have approved within ``rate_window_s``."""
    rate_window_s: float = Field(1.0, gt=0, le=3600)
    price_collar_bps: Positive = Decimal(500)
    """Largest distance of a limit price from the quote's reference price, in basis points."""
    quote_max_age_s: float = Field(5.0, gt=0)
    max_signal_age_s: float = Field(60.0, gt=0)
    """Oldest a signal may be (by its ``created_at``) when risk first sees it: a backlog replayed
    to a new consumer group, or a risk outage, must never turn stale intent into orders."""
    require_quote_for_limit: bool = True
    """Limit orders need a fresh quote too (the collar cannot be checked without one)."""
    require_session_state: bool = True
    """No session verdict received yet means no trading (fail closed)."""
    daily_loss_limit: Positive = Decimal(50_000)
    """Realised loss of the trading day at which new orders stop (a positive amount)."""
    multiplier: Positive = Decimal(1)
    """Contract multiplier for notional and PnL (e.g. 100 for equity options), for instruments
    that do not carry their own (``multiplier_of``)."""
    max_position_drift: Annotated[Decimal, Field(ge=0)] = Decimal(0)
    """Largest difference between the broker's position in an instrument and risk's own book
    that does not halt the account (``POSITION_DRIFT``); 0: any difference halts."""


def multiplier_of(instrument: Instrument, limits: Limits) -> Decimal:
    """The instrument's own multiplier (a future's 50, an option's 100), else the limits'."""
    return instrument.multiplier or limits.multiplier


def _known_fields(value: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(value) - set(Limits.model_fields))
    if unknown:
        raise ValueError(f"unknown limit(s) {unknown}; known: {sorted(Limits.model_fields)}")
    return value


Overrides = Annotated[dict[str, Any], AfterValidator(_known_fields)]


class AccountOverrides(BaseModel):
    """One account's overrides, for the account as a whole and per symbol."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    limits: Overrides = Field(default_factory=dict)
    symbols: dict[str, Overrides] = Field(default_factory=dict)


class LimitsConfig(BaseModel):
    """The limits file: defaults and overrides (TOML, JSON or YAML with this shape)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_account: str | None = None
    """The account of signals that name none."""
    defaults: Overrides = Field(default_factory=dict)
    symbols: dict[str, Overrides] = Field(default_factory=dict)
    accounts: dict[str, AccountOverrides] = Field(default_factory=dict)


class LimitBook:
    """Resolved limits per (account, symbol), cached; validates every configured combination."""

    def __init__(self, config: LimitsConfig | None = None) -> None:
        self.config = config or LimitsConfig()
        self._cache: dict[tuple[str, str], Limits] = {}
        self.defaults = Limits.model_validate(self.config.defaults)
        for account, overrides in self.config.accounts.items():
            for symbol in {*overrides.symbols, *self.config.symbols, ""}:
                self.for_order(account, symbol)
        for symbol in self.config.symbols:
            self.for_order("", symbol)

    @property
    def max_rate_window_s(self) -> float:
        """The longest rate window any configured limit uses (how long approvals are kept)."""
        return max(limits.rate_window_s for limits in (self.defaults, *self._cache.values()))

    def for_order(self, account: str, symbol: str) -> Limits:
        """The limits that apply to an order of ``account`` in ``symbol``."""
        key = (account, symbol)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._resolve(account, symbol)
        return found

    def for_account(self, account: str) -> Limits:
        """The account-wide limits (gross exposure, open orders, daily loss)."""
        return self.for_order(account, "")

    def _resolve(self, account: str, symbol: str) -> Limits:
        merged = dict(self.config.defaults)
        merged.update(self.config.symbols.get(symbol, {}))
        overrides = self.config.accounts.get(account)
        if overrides is not None:
            merged.update(overrides.limits)
            merged.update(overrides.symbols.get(symbol, {}))
        try:
            return Limits.model_validate(merged)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise ValueError(
                f"limits of account {account or '(any)'}, symbol {symbol or '(any)'}: {problems}"
            ) from None
