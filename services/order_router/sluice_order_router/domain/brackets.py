"""A bracket as the orders IBKR takes: the parent, then its take-profit and stop-loss children.

Pure. Each child is an ``ApprovedOrder`` of its own (written ahead in the journal, tracked and
reported like any order) with a ``client_order_id`` derived from the parent's, so replaying
the parent never makes a second child.
"""

from __future__ import annotations

import msgspec

from sluice_proto import ApprovedOrder
from sluice_proto.common import TimeInForce
from sluice_proto.order_terms import bracket_children, child_order_id

_CHILD_TIFS: frozenset[TimeInForce] = frozenset({"DAY", "GTC", "GTD"})
"""IBKR caps a child's time in force at its parent's; a child of an IOC or OPG parent (the
parent is over once it fills) protects the position for the rest of the day."""


def legs(order: ApprovedOrder) -> list[ApprovedOrder]:
    """The order alone, or a bracket's parent followed by its children (last: the stop-loss,
    whose arrival transmits the bracket on the socket path)."""
    children = [
        msgspec.structs.replace(
            order,
            client_order_id=child_order_id(order.client_order_id, role),
            side="SELL" if order.side == "BUY" else "BUY",
            order_type="LMT" if role == "tp" else "STP",
            limit_price=price if role == "tp" else None,
            stop_price=price if role == "sl" else None,
            tif=order.tif if order.tif in _CHILD_TIFS else "DAY",
            good_till=order.good_till if order.tif == "GTD" else None,
            take_profit=None,
            stop_loss=None,
            parent_client_order_id=order.client_order_id,
        )
        for role, price in bracket_children(order)
    ]
    return [order, *children]
