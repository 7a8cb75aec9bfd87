"""What risk knows of the market and the sessions: latest quotes and session verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sluice_proto import Instrument, MdSubscriptionRejected, Quote
from sluice_proto.control import ALL_ACCOUNTS
from sluice_proto.market_data import SubscriptionRejectReason
from sluice_proto.orders import OrderRejectReason
from sluice_proto.session import SessionState


def instrument_key(instrument: Instrument) -> str:
    """Positions and quotes are matched on this key: the exchange is left out on purpose,
    since an order routed SMART and a quote from the primary exchange are the same line."""
    return f"{instrument.sec_type}:{instrument.symbol}:{instrument.currency}{instrument.terms}"


def reference_price(quote: Quote) -> Decimal | None:
    """Mid when both sides are quoted, else the last trade, else None."""
    if quote.bid is not None and quote.ask is not None:
        return (quote.bid + quote.ask) / 2
    return quote.last


_INSTRUMENT_REASONS: dict[SubscriptionRejectReason, OrderRejectReason] = {
    "UNKNOWN_INSTRUMENT": "UNKNOWN_INSTRUMENT",
    "AMBIGUOUS_INSTRUMENT": "AMBIGUOUS_INSTRUMENT",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why market-data will not serve an instrument's quotes."""

    reason: SubscriptionRejectReason
    message: str
    candidates: list[Instrument]
    """``AMBIGUOUS_INSTRUMENT``: the contracts that fit, as the router found them."""

    @property
    def order_reason(self) -> OrderRejectReason | None:
        """The rejection an order for the instrument gets when the refusal is about the
        instrument itself (unknown or ambiguous at IBKR), not about the quotes."""
        return _INSTRUMENT_REASONS.get(self.reason)

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


@dataclass(frozen=True, slots=True)
class QuoteView:
    """A quote as a check sees it: its reference price and whether it may be trusted now."""

    price: Decimal | None
    fresh: bool
    age_s: float


class Market:
    """Latest quote per instrument and latest session verdict per account."""

    def __init__(self) -> None:
        self._quotes: dict[str, Quote] = {}
        self._sessions: dict[str, SessionState] = {}
        self._refusals: dict[str, Refusal] = {}

    def forget_refusal(self, instrument: Instrument) -> None:
        """Risk asks for the instrument's quotes again: an earlier refusal no longer holds."""
        self._refusals.pop(instrument_key(instrument), None)

    def on_refusal(self, refused: MdSubscriptionRejected) -> None:
        """Market-data will not serve the instrument: remember why (the rejection of a signal
        that waited for its quote says it)."""
        key = instrument_key(refused.instrument)
        self._refusals[key] = Refusal(refused.reason_code, refused.message, refused.candidates)

    def refusal(self, instrument: Instrument) -> Refusal | None:
        """Why market-data refused the instrument's quotes, if it did since they last flowed."""
        return self._refusals.get(instrument_key(instrument))

    def on_quote(self, quote: Quote) -> bool:
        """Keep the quote if it is newer than the one held; True when the mark moved."""
        key = instrument_key(quote.instrument)
        held = self._quotes.get(key)
        if held is not None and held.ts > quote.ts:
            return False
        self._quotes[key] = quote
        self._refusals.pop(key, None)
        return held is None or reference_price(held) != reference_price(quote)

    def on_session(self, state: SessionState) -> None:
        """Keep the latest verdict of the account (``*`` applies to accounts without one)."""
        held = self._sessions.get(state.account)
        if held is None or held.ts <= state.ts:
            self._sessions[state.account] = state

    def quote(self, instrument: Instrument, now: datetime, max_age_s: float) -> QuoteView | None:
        """The instrument's quote judged at ``now``, or None when none was ever received."""
        quote = self._quotes.get(instrument_key(instrument))
        if quote is None:
            return None
        age = max((now - quote.ts) / timedelta(seconds=1), 0.0)
        price = reference_price(quote)
        return QuoteView(price, not quote.stale and price is not None and age <= max_age_s, age)

    def mark(self, key: str) -> Decimal | None:
        """The reference price of the instrument with this ``instrument_key``."""
        quote = self._quotes.get(key)
        return reference_price(quote) if quote is not None else None

    def session(self, account: str) -> SessionState | None:
        """The verdict that applies to the account, if any was received."""
        return self._sessions.get(account) or self._sessions.get(ALL_ACCOUNTS)

    def session_states(self) -> list[SessionState]:
        """Every verdict held (for status output)."""
        return list(self._sessions.values())
