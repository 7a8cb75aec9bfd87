"""Pure trailing-stop rules: the stop follows the market by the trail and never moves back;
it triggers when the touch reaches it (a sell's bid falls to it, a buy's ask rises to it)."""

from __future__ import annotations

from decimal import Decimal

from .orders import OrderSpec
from .quotes import Quote


def _touch(spec: OrderSpec, quote: Quote) -> Decimal:
    return quote.bid if spec.action == "SELL" else quote.ask


def follow(spec: OrderSpec, quote: Quote, current: Decimal | None) -> Decimal:
    """The stop after ``quote``: its start (given, else from the market) on the first quote."""
    touch = _touch(spec, quote)
    if spec.trailing_amount is not None:
        distance = spec.trailing_amount
    else:
        distance = touch * (spec.trailing_percent or Decimal(0)) / 100
    selling = spec.action == "SELL"
    candidate = touch - distance if selling else touch + distance
    if current is None:
        return spec.trail_stop_price or candidate
    return max(current, candidate) if selling else min(current, candidate)


def hit(spec: OrderSpec, quote: Quote, stop: Decimal) -> bool:
    """True once the touch reaches the stop."""
    touch = _touch(spec, quote)
    return touch <= stop if spec.action == "SELL" else touch >= stop


def triggered_limit(spec: OrderSpec, stop: Decimal) -> Decimal:
    """TRAIL LIMIT: the limit once triggered, ``limit_price_offset`` beyond the stop."""
    offset = spec.limit_price_offset or Decimal(0)
    return stop - offset if spec.action == "SELL" else stop + offset
