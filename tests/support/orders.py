"""Orders sent to a router on the in-memory bus, and what it published about them."""

from __future__ import annotations

from decimal import Decimal

from sluice_bus import MemoryBroker, MemoryBus
from sluice_proto import AmendOrder, ApprovedOrder, Instrument
from sluice_proto.orders import OrderAccepted, OrderSubmitted
from sluice_proto.topics import ORDERS_APPROVED, ORDERS_EVENTS
from sluice_sim.venue import PaperVenue, VenueOrder
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT
from tests.support.polling import eventually


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


def amend(coid: str, revision: int = 1, **changes: object) -> AmendOrder:
    """Risk's approved amend of order ``coid`` (``changes``: quantity, prices, tif, account)."""
    fields: dict[str, object] = {"account": ACCOUNT, **changes}
    return AmendOrder(client_order_id=coid, revision=revision, **fields)  # type: ignore[arg-type]


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


def accepted(broker: MemoryBroker, coid: str) -> bool:
    """True once the venue has accepted order ``coid`` (it works)."""
    return OrderAccepted in kinds(broker, coid)


async def working(broker: MemoryBroker, coid: str) -> OrderSubmitted:
    """Wait until order ``coid`` works; its submission (which holds IBKR's order id)."""
    await eventually(lambda: accepted(broker, coid), what=f"{coid} working")
    return next(e for e in of(broker, coid) if isinstance(e, OrderSubmitted))


def at_venue(venue: PaperVenue, coid: str) -> list[VenueOrder]:
    """Every order the simulated IBKR holds under this orderRef / cOID."""
    return [o for o in venue.store if o.spec.order_ref == coid]
