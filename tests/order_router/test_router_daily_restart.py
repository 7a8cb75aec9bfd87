"""The gateway's daily restart with an order in doubt and an id rollback (the simulator's
truthful restart: a new day forgets finished orders and executions, ``nextValidId`` rolls back).

Exactly one broker order per signal, and no order id used twice: asserted at the simulator.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from sluice_bus import MemoryBroker
from sluice_order_router.adapters.socket.gateway import SocketGateway
from sluice_order_router.ports import OrderInDoubtError, OrderUpdate
from sluice_proto import Instrument
from sluice_proto.orders import OrderAccepted, OrderFilled, OrderHeld, OrderSubmitted
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import StartRouter, options
from tests.support.gateway import AAPL_CON_ID
from tests.support.orders import approved, kinds, of, send
from tests.support.polling import eventually

AAPL = Instrument(symbol="AAPL", con_id=AAPL_CON_ID)


def _router_order_ids(tws: TwsServer) -> list[int]:
    return [order_id for client_id, order_id, _ in tws.venue.store.placed if client_id == 11]


async def _filled(broker: MemoryBroker, coid: str) -> None:
    await send(broker, approved(coid))
    await eventually(lambda: OrderFilled in kinds(broker, coid), within=10)


def _held_reasons(broker: MemoryBroker, coid: str) -> list[str]:
    return [e.reason for e in of(broker, coid) if isinstance(e, OrderHeld)]


async def test_a_filled_order_in_doubt_across_the_restart_is_never_sent_again_nor_its_id_reused(
    tws: TwsServer, start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    router = await start_router(ack_timeout_s=0.3)
    for coid in ("day-1", "day-2"):
        await _filled(broker, coid)
    control.hold_acks(True)  # IBKR takes (and fills) the order; the router hears nothing back
    await send(broker, approved("doubt-1"))
    await eventually(lambda: OrderHeld in kinds(broker, "doubt-1"), within=10)
    await router.stop()  # the router goes down with the order in doubt...
    await control.restart(window=0.2)  # ...and the gateway restarts: a new day, ids from 1
    control.hold_acks(False)
    assert tws.next_order_id() < max(_router_order_ids(tws))  # the rollback is real

    await start_router(ack_timeout_s=0.3)  # learns its high-water mark from the journal alone
    await eventually(lambda: any("not resent" in r for r in _held_reasons(broker, "doubt-1")))
    await _filled(broker, "day-3")

    assert control.orders_with_ref("doubt-1") == 1  # absent from the new day, never resent
    assert OrderSubmitted not in kinds(broker, "doubt-1")
    ids = _router_order_ids(tws)
    assert len(ids) == len(set(ids)) == 4 and control.reused_order_ids() == []
    assert ids[-1] > ids[-2]  # day-3 went out above everything sent before the restart


async def test_a_gtc_order_in_doubt_across_the_restart_is_adopted_from_the_open_orders(
    tws: TwsServer, start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router(ack_timeout_s=0.3)
    await _filled(broker, "day-1")
    control.hold_acks(True)
    gtc = approved("gtc-1", order_type="LMT", limit_price=Decimal("1.00"), tif="GTC")
    await send(broker, gtc)
    await eventually(lambda: OrderHeld in kinds(broker, "gtc-1"), within=10)
    await control.restart(window=0.2)  # the router stays up and reconnects by itself
    control.hold_acks(False)

    await eventually(lambda: OrderAccepted in kinds(broker, "gtc-1"), within=10)
    adopted = [e for e in of(broker, "gtc-1") if isinstance(e, OrderSubmitted)]
    assert [e.adopted for e in adopted] == [True]
    await _filled(broker, "day-2")
    assert control.orders_with_ref("gtc-1") == 1
    ids = _router_order_ids(tws)
    assert len(ids) == len(set(ids)) == 3 and control.reused_order_ids() == []


async def test_a_duplicate_order_id_leaves_the_order_in_doubt_never_rejected(
    tws: TwsServer,
) -> None:
    updates: list[OrderUpdate] = []

    async def on_update(update: OrderUpdate) -> None:
        updates.append(update)

    async def ignore(*_: object) -> None:
        return None

    earlier = SocketGateway(options(tws))  # an earlier connection of this client id used the id
    earlier.set_callbacks(ignore, ignore, ignore)
    await earlier.connect()
    used = int((await earlier.place(approved("first"), AAPL)).broker_order_id)
    await eventually(lambda: tws.venue.store.completed_orders() != [])
    await earlier.close()

    gateway = SocketGateway(options(tws))
    gateway.set_callbacks(on_update, ignore, ignore)
    await gateway.connect()
    try:
        with pytest.raises(OrderInDoubtError, match="103"):  # IBKR: that id is a finished order
            await gateway.place(approved("second"), AAPL, order_id=used)
        assert updates == []  # the refusal is not reported as a rejection of the order
        assert tws.venue.store.orders_with_ref("second") == 0
    finally:
        await gateway.close()


async def test_an_order_whose_link_dropped_before_it_left_is_sent_after_the_restart(
    tws: TwsServer, start_router: StartRouter, broker: MemoryBroker, control: TwsControl,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Written ahead, then the gateway restarts before the order leaves: it was never at IBKR,
    so it is held (not in doubt, which a new day would turn into "unknown, not resent") and
    sent once the link is back. Found by the chaos run (tests/support/chaos.py)."""
    await start_router()
    await _filled(broker, "before")
    place = SocketGateway.place

    async def restart_first(gateway: SocketGateway, *args: object) -> object:
        monkeypatch.setattr(SocketGateway, "place", place)  # once
        await control.restart(window=0.3)  # the link drops after the write-ahead record
        return await place(gateway, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(SocketGateway, "place", restart_first)
    await send(broker, approved("between"))
    await eventually(lambda: OrderFilled in kinds(broker, "between"), within=10)
    assert any("not sent" in r for r in _held_reasons(broker, "between"))
    assert not any(e.unknown for e in of(broker, "between") if isinstance(e, OrderHeld))
    assert control.orders_with_ref("between") == 1
    assert control.reused_order_ids() == []
