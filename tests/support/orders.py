"""Orders sent to a router on the in-memory bus, and what it published about them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sluice_bus import MemoryBroker, MemoryBus
from sluice_proto import AmendOrder, ApprovedOrder, Instrument, utc_now
from sluice_proto.orders import OrderAccepted, OrderExpired, OrderSubmitted, OrderSubmitting
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


async def expired_behind_a_burst(broker: MemoryBroker, prefix: str, within: float) -> OrderExpired:
    """Warm the router up (the contract qualified), then send eight orders, ``{prefix}short``
    with 1.2 s to live, and ``{prefix}after``. With the router's sends slowed, the short one
    is written ahead in time but waits past its deadline: its ``OrderExpired``, once it is
    the one event after its write-ahead. ``{prefix}after`` still goes."""
    await send(broker, approved(f"{prefix}warm"))
    await eventually(lambda: OrderSubmitted in kinds(broker, f"{prefix}warm"), within=within)
    for n in range(8):
        await send(broker, approved(f"{prefix}burst-{n}"))
    short = f"{prefix}short"
    await send(broker, approved(short, expires_at=utc_now() + timedelta(seconds=1.2)))
    await send(broker, approved(f"{prefix}after"))
    await eventually(lambda: OrderExpired in kinds(broker, short), within=within)
    assert kinds(broker, short) == [OrderSubmitting, OrderExpired]  # written ahead, never left
    await eventually(lambda: OrderSubmitted in kinds(broker, f"{prefix}after"), within=within)
    expired = of(broker, short)[-1]
    assert isinstance(expired, OrderExpired)
    return expired
