"""Orders sent to a router on the in-memory bus, and what it published about them."""

from __future__ import annotations

from decimal import Decimal

from sluice_bus import MemoryBroker, MemoryBus
from sluice_proto import ApprovedOrder, Instrument
from sluice_proto.topics import ORDERS_APPROVED, ORDERS_EVENTS
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT


def approved(coid: str, **overrides: object) -> ApprovedOrder:
    """A risk-approved market order to buy 10 AAPL, with ``overrides`` applied."""
    fields: dict[str, object] = {
        "client_order_id": coid, "strategy_id": "s1", "signal_id": coid, "account": ACCOUNT,
        "instrument": Instrument(symbol="AAPL"), "side": "BUY", "quantity": Decimal(10),
        "order_type": "MKT",
    }  # fmt: skip
    fields.update(overrides)
    return ApprovedOrder(**fields)  # type: ignore[arg-type]


def resting(coid: str) -> ApprovedOrder:
    """An approved limit order priced far from the market, so it rests at the venue."""
    return approved(coid, order_type="LMT", limit_price=Decimal("1.00"))


async def send(broker: MemoryBroker, command: object) -> None:
    """Publish ``command`` on the approved-orders topic as risk does."""
    await MemoryBus(broker, "risk").publish(ORDERS_APPROVED, command, key=ACCOUNT)  # type: ignore[arg-type]


def of(broker: MemoryBroker, coid: str) -> list[object]:
    """The lifecycle events of order ``coid`` so far, oldest first."""
    return [
        e for e in topic_events(broker, ORDERS_EVENTS) if getattr(e, "client_order_id", "") == coid
    ]


def kinds(broker: MemoryBroker, coid: str) -> list[type]:
    """The types of order ``coid``'s lifecycle events so far, oldest first."""
    return [type(e) for e in of(broker, coid)]
