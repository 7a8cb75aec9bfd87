"""Signals risk decides later: waiting for an instrument's first quote, or parked through a gap.

One mechanism for both. A deferred signal has a kind (what it waits for), a deadline and an
expiry. It is looked at again when what it waits for may have come (a quote, a session
verdict, a kill switch) or its deadline passed; ``is_ready`` says when that is, and the engine
then decides it as if it were new. The deferred signal is kept on its order in the ledger;
``Deferrals`` only reads it from there.
"""

from __future__ import annotations

from collections.abc import Iterator, Set
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sluice_proto import Signal
from sluice_proto.risk_state import DeferredSignal
from sluice_risk.domain.market import Market
from sluice_risk.domain.orders import OrderLedger


@dataclass(frozen=True, slots=True)
class DeferralPolicy:
    """How long risk waits for a fresh quote (a new signal, a released one), and how long a
    signal lives unsent by default.

    Default lifetimes count from when risk first sees the signal (not its ``created_at``: a
    strategy's clock may be off by more than a market order's lifetime):
    market orders and IOC ``market_ttl``; DAY orders until the next session close (outside
    RTH: no close) and at most ``day_ttl``; GTC orders ``gtc_ttl``.
    """

    quote_wait: timedelta = timedelta(seconds=2)
    release_quote_wait: timedelta = timedelta(seconds=30)
    """A signal released from parking: quotes resume a little after the session does."""
    market_ttl: timedelta = timedelta(seconds=30)
    day_ttl: timedelta = timedelta(hours=8)
    gtc_ttl: timedelta = timedelta(days=7)
    session_close: time = time(16, 0)
    zone: str = "America/New_York"

    def expires_at(self, signal: Signal, first_seen: datetime) -> datetime:
        """The signal's own expiry, else the default lifetime of its order type."""
        if signal.expires_at is not None:
            return signal.expires_at
        if signal.order_type == "MKT" or signal.tif == "IOC":
            return first_seen + self.market_ttl
        if signal.tif == "GTC":
            return first_seen + self.gtc_ttl
        if signal.good_till is not None:  # GTD: never sent after IBKR would have cancelled it
            return min(first_seen + self.gtc_ttl, signal.good_till)
        capped = first_seen + self.day_ttl
        return capped if signal.outside_rth else min(capped, self._next_close(first_seen))

    def _next_close(self, now: datetime) -> datetime:
        local = now.astimezone(ZoneInfo(self.zone))
        close = local.replace(
            hour=self.session_close.hour,
            minute=self.session_close.minute,
            second=0,
            microsecond=0,
        )
        return close if close > local else close + timedelta(days=1)


def is_ready(deferred: DeferredSignal, account: str, market: Market, killed: bool, now: datetime,
             *, require_session: bool, max_quote_age_s: float) -> bool:  # fmt: skip
    """True when the signal should be looked at again now."""
    if killed or now >= deferred.expires_at or now >= deferred.deadline:
        return True
    if deferred.kind == "session":
        verdict = market.session(account)
        return verdict.trading_allowed if verdict is not None else not require_session
    instrument = deferred.signal.instrument
    if market.refusal(instrument) is not None:
        return True
    quote = market.quote(instrument, now, max_quote_age_s)
    return quote is not None and quote.fresh


class Deferrals:
    """The deferred signals, read from the order ledger: a signal waits exactly while its
    order is ``deferred`` (the order carries it), so the two never disagree."""

    def __init__(self, orders: OrderLedger) -> None:
        self._orders = orders

    def of(self, account: str) -> list[DeferredSignal]:
        """The account's deferred signals, oldest deadline first."""
        found = [d for a, d in self._orders.deferred() if a == account]
        return sorted(found, key=lambda d: d.deadline)

    def __iter__(self) -> Iterator[tuple[str, DeferredSignal]]:
        return iter(list(self._orders.deferred()))  # a snapshot: the ledger may change meanwhile

    def next_deadline(self, skip: Set[str] = frozenset()) -> datetime | None:
        """The earliest deadline or expiry among the deferred signals of accounts not in
        ``skip``."""
        return min(
            (min(d.deadline, d.expires_at) for a, d in self._orders.deferred() if a not in skip),
            default=None,
        )

    def __len__(self) -> int:
        return len(self._orders.deferred())
