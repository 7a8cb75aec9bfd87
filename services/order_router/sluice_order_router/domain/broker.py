"""Orders as IBKR reports them: what the domain reconciles against, whichever API said it.

Adapters translate their API into these types; the port (``ports.py``) carries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from sluice_proto import Fill
from sluice_proto.common import Side

BrokerStatus = Literal[
    "submitted",  # acknowledged with ids, not yet working
    "accepted",  # working at the venue
    "partially_filled",
    "filled",
    "cancelled",
    "rejected",
]


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    """An order as IBKR reports it, found by its ``orderRef`` / ``cOID``."""

    client_order_id: str
    broker_order_id: int | str
    perm_id: int | None
    status: BrokerStatus
    filled_quantity: Decimal = Decimal(0)
    remaining_quantity: Decimal = Decimal(0)
    avg_fill_price: Decimal = Decimal(0)
    quantity: Decimal | None = None
    """The order's total quantity as IBKR holds it now (None where the answer lacks it)."""
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class BrokerSnapshot:
    """Everything IBKR knows about our orders: open, completed and executed, by client id."""

    orders: dict[str, BrokerOrder] = field(default_factory=dict)
    fills: dict[str, list[Fill]] = field(default_factory=dict)
    next_valid_id: int | None = None
    """IBKR's ``nextValidId`` at the current connection (socket path; None elsewhere): an
    order sent when IBKR's floor was above it was sent before IBKR's day rolled over."""


def side_of(action: str) -> Side | None:
    """IBKR's ``BUY``/``SELL`` (any case) as a ``Side``; None for anything else."""
    word = action.upper()
    return "BUY" if word == "BUY" else "SELL" if word == "SELL" else None
