"""Pure matching rules: when and at what price an order executes against a quote."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .orders import TRAILING, OrderSpec
from .quotes import Quote


@dataclass(frozen=True, slots=True)
class Match:
    """The result of matching one order against one quote."""

    triggered: bool
    quantity: Decimal = Decimal(0)
    price: Decimal = Decimal(0)


def is_triggered(spec: OrderSpec, quote: Quote, already: bool) -> bool:
    """Stop orders arm when the touch reaches the stop price; trailing orders are armed by the
    venue (``trailing``); other orders are always live."""
    if spec.order_type in TRAILING:
        return already
    if already or spec.order_type not in {"STP", "STP LMT"} or spec.stop_price is None:
        return True
    touch = quote.ask if spec.action == "BUY" else quote.bid
    return touch >= spec.stop_price if spec.action == "BUY" else touch <= spec.stop_price


def executable_price(spec: OrderSpec, quote: Quote) -> Decimal | None:
    """The price a live order trades at now (the far touch), or None if a limit is not crossed."""
    touch = quote.ask if spec.action == "BUY" else quote.bid
    if spec.order_type in {"MKT", "STP", "TRAIL", "MOC"}:
        return touch
    if spec.limit_price is None:
        return None
    crossed = touch <= spec.limit_price if spec.action == "BUY" else touch >= spec.limit_price
    return touch if crossed else None


def match(
    spec: OrderSpec,
    remaining: Decimal,
    quote: Quote,
    triggered: bool,
    max_fill: Decimal | None,
) -> Match:
    """Match ``remaining`` of an order against ``quote``, at most ``max_fill`` per step."""
    armed = is_triggered(spec, quote, triggered)
    if not armed or remaining <= 0:
        return Match(triggered=armed)
    price = executable_price(spec, quote)
    if price is None:
        return Match(triggered=armed)
    quantity = remaining if max_fill is None else min(remaining, max_fill)
    return Match(triggered=armed, quantity=quantity, price=price)
