"""The router publishes IBKR's truth of the account on ``sluice.broker.truth.v1``: at once
after connecting and on its period. Positions, every open order (another client's placed by
hand has no ``orderRef``), the account summary; a position changed behind the API's back
shows in the next report."""

from __future__ import annotations

from decimal import Decimal

from ib_async import LimitOrder

from sluice_bus import MemoryBroker
from sluice_proto import BrokerPnl, BrokerTruth, OrderAccepted, OrderFilled
from sluice_proto.topics import BROKER_TRUTH
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.order_router.conftest import StartRouter
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT
from tests.support.orders import approved, kinds, resting, send
from tests.support.outside_orders import tws_order
from tests.support.polling import eventually

BY_HAND = 0
"""TWS itself: an order typed into TWS by hand."""


def _truths(broker: MemoryBroker) -> list[BrokerTruth]:
    return [e for e in topic_events(broker, BROKER_TRUTH) if isinstance(e, BrokerTruth)]


async def test_truth_after_connect_then_on_the_period_with_foreign_orders_and_positions(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer, control: TwsControl
) -> None:
    await start_router(truth_s=0.3)
    await eventually(lambda: _truths(broker), what="a truth after connecting")
    first = _truths(broker)[0]
    assert (first.account, first.cause, first.positions, first.open_orders) == (
        ACCOUNT, "connect", [], []
    )  # fmt: skip
    assert first.summary.net_liquidation is not None and first.summary.currency == "USD"

    await send(broker, resting("own-1"))
    await eventually(lambda: OrderAccepted in kinds(broker, "own-1"), what="own order working")
    async with tws_order(tws.port, BY_HAND, LimitOrder("SELL", 7, 999.0, account=ACCOUNT)):
        pass  # placed and working; it stays at the gateway once its client has gone
    control.adjust_position(ACCOUNT, "AAPL", Decimal(25))

    def latest() -> BrokerTruth | None:
        truth = _truths(broker)[-1]
        return truth if truth.positions and len(truth.open_orders) == 2 else None

    await eventually(latest, what="a periodic truth with both orders and the position")
    truth = latest()
    assert truth is not None and truth.cause == "periodic"
    [position] = truth.positions
    assert (position.instrument.symbol, position.quantity) == ("AAPL", Decimal(25))
    assert position.avg_cost is not None and position.avg_cost > 0
    by_ref = {o.order_ref: o for o in truth.open_orders}
    manual = by_ref[""]
    assert (manual.client_id, manual.side, manual.remaining_quantity, manual.limit_price) == (
        BY_HAND, "SELL", Decimal(7), Decimal(999)
    )  # fmt: skip
    assert by_ref["own-1"].client_id == 11


def _pnls(broker: MemoryBroker) -> list[BrokerPnl]:
    return [e for e in topic_events(broker, BROKER_TRUTH) if isinstance(e, BrokerPnl)]


async def test_ibkrs_pnl_from_req_pnl_after_connect_and_after_a_fill(
    start_router: StartRouter, broker: MemoryBroker, tws: TwsServer
) -> None:
    await start_router()
    await eventually(lambda: _pnls(broker), what="IBKR's PnL after connecting")
    first = _pnls(broker)[0]
    assert (first.account, first.daily_pnl, first.unrealized_pnl, first.realized_pnl) == (
        ACCOUNT, Decimal(0), Decimal(0), Decimal(0)
    )  # fmt: skip
    await send(broker, approved("pnl-1"))
    await eventually(lambda: OrderFilled in kinds(broker, "pnl-1"), what="the fill")
    unrealized = tws.venue.account_values(ACCOUNT)["UnrealizedPnL"]
    assert unrealized != 0  # bought at the ask, marked at the mid
    await eventually(
        lambda: _pnls(broker)[-1].unrealized_pnl == unrealized, what="the PnL after the fill"
    )
    latest = _pnls(broker)[-1]
    assert latest.daily_pnl == unrealized and latest.net_liquidation is not None
    keys = {r.key for r in broker.records(BROKER_TRUTH)}
    assert keys == {f"{ACCOUNT}/pnl".encode()}
