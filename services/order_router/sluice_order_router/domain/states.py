"""The lifecycle of one order as the router sees it, and which moves are allowed."""

from __future__ import annotations

from typing import Literal

from sluice_proto.orders import FINAL_STATUSES, FinalStatus

OrderState = Literal[
    "held",  # known, not sent: the link to IBKR is down
    "submitting",  # write-ahead record published; the order may or may not be at IBKR
    "acknowledged",  # IBKR gave it ids
    "working",  # live at the venue
    "partial",
    FinalStatus,  # filled, cancelled, rejected: the contract's final statuses
]

_RANK: dict[OrderState, int] = {
    "held": 0,
    "submitting": 1,
    "acknowledged": 2,
    "working": 3,
    "partial": 4,
}


def can_move(current: OrderState, new: OrderState) -> bool:
    """True when ``new`` is progress: never out of a final state, never backwards.

    Replayed journal events and late broker reports arrive out of order; a stale report
    (``working`` after ``partial``) must not move the order back.
    """
    if current in FINAL_STATUSES:
        return False
    if new in FINAL_STATUSES:
        return True
    return _RANK[new] > _RANK[current]
