"""Worst-case exposure of working orders: what could fill, not what was sent.

- A bracket's children close what its parent opens: they add no gross exposure (the bracket
  counts as its parent), and only one of them can fill (they are one OCA group).
- In a one-cancels-all group at most one member fills: the group counts its largest member.
- Any other order counts its remaining quantity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from sluice_proto import Instrument, Signal
from sluice_proto.broker import BrokerOpenOrder
from sluice_proto.common import Side
from sluice_risk.domain.limits import multiplier_of
from sluice_risk.domain.market import instrument_key
from sluice_risk.domain.orders import DecidedOrder
from sluice_risk.domain.state import RiskState

ZERO = Decimal(0)

Measure = Callable[[DecidedOrder], Decimal]
"""What one working order contributes (its notional, or its signed quantity)."""


def worst_case(orders: Iterable[DecidedOrder], measure: Measure) -> Decimal:
    """Sum of ``measure`` over the orders, each OCA group counted once at its largest member."""
    total, groups = ZERO, dict[str, Decimal]()
    for order in orders:
        value = measure(order)
        if order.oca_group is None:
            total += value
        elif abs(value) > abs(groups.get(order.oca_group, ZERO)):
            groups[order.oca_group] = value
    return total + sum(groups.values(), ZERO)


def working_notional(
    orders: Iterable[DecidedOrder], unit: Callable[[DecidedOrder], Decimal]
) -> Decimal:
    """Worst-case notional of working orders; ``unit`` is one share's value (price x multiplier).
    Bracket children count nothing: they only close the parent's position."""
    opening = (o for o in orders if o.parent is None)
    return worst_case(opening, lambda o: o.remaining * unit(o))


def working_same_side(orders: Iterable[DecidedOrder], side: Side, key: str) -> Decimal:
    """Signed quantity that may still fill in instrument ``key`` on ``side`` (OCA: the largest)."""
    same = (o for o in orders if o.side == side and o.key == key)
    return worst_case(same, lambda o: o.remaining * o.direction)


class Overlap(NamedTuple):
    """What a new member of an OCA group shares with the group's largest working member:
    only one of them fills, so that much of it is counted already."""

    notional: Decimal = ZERO
    quantity: Decimal = ZERO
    """Signed: the part of the group's same-side quantity in the same instrument."""


NO_OVERLAP = Overlap()


def oca_overlap(
    signal: Signal,
    working: Iterable[DecidedOrder],
    key: str,
    unit: Decimal,
    unit_of: Callable[[DecidedOrder], Decimal],
) -> Overlap:
    """The new order's overlap with its OCA group (``unit``: its own value per share)."""
    if signal.oca_group is None:
        return NO_OVERLAP
    members = [o for o in working if o.oca_group == signal.oca_group and o.parent is None]
    largest = max((o.remaining * unit_of(o) for o in members), default=ZERO)
    same = [o.remaining for o in members if o.side == signal.side and o.key == key]
    direction = 1 if signal.side == "BUY" else -1
    return Overlap(
        notional=min(signal.quantity * unit, largest),
        quantity=min(signal.quantity, max(same, default=ZERO)) * direction,
    )


def gross_exposure(
    state: RiskState,
    account: str,
    working: Iterable[DecidedOrder],
    foreign: Sequence[BrokerOpenOrder] = (),
) -> Decimal:
    """Sum of |position| x mark (average cost when unmarked) plus the notional of working
    orders: Sluice's (``working``) at their worst case, and those placed outside it
    (``foreign``, the broker's truth), each at its own limit price, else the mark."""
    total = ZERO
    for key, position in state.portfolio.of(account).items():
        mark = state.market.mark(key) or position.avg_cost
        total += abs(position.quantity) * mark * position.multiplier
    # per instrument, not per order: the mark and the multiplier
    units: dict[str, tuple[Decimal, Decimal]] = {}

    def unit(instrument: Instrument, key: str, limit_price: Decimal | None) -> Decimal:
        found = units.get(key)
        if found is None:
            limits = state.limits.for_order(account, instrument.symbol)
            found = units[key] = (state.market.mark(key) or ZERO, multiplier_of(instrument, limits))
        return (limit_price or found[0]) * found[1]

    total += working_notional(working, lambda o: unit(o.instrument, o.key, o.limit_price))
    for other in foreign:
        key = instrument_key(other.instrument)
        total += other.remaining_quantity * unit(other.instrument, key, other.limit_price)
    return total
