"""On the REST path the router's broker truth lists the account's positions (a change made
behind the API's back included), every working order (one placed outside the router has no
``cOID``) and the portfolio summary; IBKR's account PnL from the WebSocket's ``spl``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sluice_bus import MemoryBroker
from sluice_proto import BrokerPnl, BrokerTruth, OrderFilled
from sluice_proto.topics import BROKER_TRUTH
from sluice_sim.cp import CpSimulator
from tests.rest.conftest import StartRestRouter
from tests.support.collect import topic_events
from tests.support.gateway import AAPL_CON_ID, ACCOUNT
from tests.support.orders import approved, kinds, send
from tests.support.outside_orders import cp_order
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


def _latest(broker: MemoryBroker) -> BrokerTruth | None:
    truths = [e for e in topic_events(broker, BROKER_TRUTH) if isinstance(e, BrokerTruth)]
    return truths[-1] if truths else None


async def test_the_truth_shows_a_changed_position_an_outside_order_and_the_summary(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router(truth_s=0.3)
    placed = await cp_order(sim, "SELL", 4, 999.0)
    sim.control.adjust_position(ACCOUNT, "AAPL", Decimal(30))

    def complete() -> BrokerTruth | None:
        truth = _latest(broker)
        return truth if truth is not None and truth.positions and truth.open_orders else None

    await eventually(complete, what="a truth with the position and the order")
    truth = complete()
    assert truth is not None and truth.account == ACCOUNT
    [position] = truth.positions
    assert (position.instrument.symbol, position.instrument.con_id, position.quantity) == (
        "AAPL", AAPL_CON_ID, Decimal(30)
    )  # fmt: skip
    [outside] = truth.open_orders
    assert (outside.broker_order_id, outside.order_ref, outside.side) == (placed, "", "SELL")
    assert (outside.remaining_quantity, outside.limit_price) == (Decimal(4), Decimal(999))
    assert truth.summary.net_liquidation is not None and truth.summary.currency == "USD"


def _pnls(broker: MemoryBroker) -> list[BrokerPnl]:
    return [e for e in topic_events(broker, BROKER_TRUTH) if isinstance(e, BrokerPnl)]


async def test_ibkrs_pnl_from_the_stream_on_subscribe_and_after_a_fill(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router(IBKR_CP_POLL_S=30)  # no truth period: the stream alone
    await eventually(lambda: _pnls(broker), what="the PnL of the spl subscription")
    first = _pnls(broker)[0]
    assert (first.account, first.daily_pnl, first.unrealized_pnl, first.market_value) == (
        ACCOUNT, Decimal(0), Decimal(0), Decimal(0)
    )  # fmt: skip
    assert first.realized_pnl is None and first.net_liquidation is not None  # spl has no rpl
    await send(broker, approved("pnl-1"))
    await eventually(lambda: OrderFilled in kinds(broker, "pnl-1"), what="the fill")
    values = sim.state.venue.account_values(ACCOUNT)
    assert values["GrossPositionValue"] > 0
    await eventually(
        lambda: _pnls(broker)[-1].market_value == values["GrossPositionValue"],
        what="the PnL after the fill",
    )
    latest = _pnls(broker)[-1]
    assert latest.unrealized_pnl == values["UnrealizedPnL"]
    assert latest.net_liquidation == values["NetLiquidation"]
    assert {r.key for r in broker.records(BROKER_TRUTH)} == {f"{ACCOUNT}/pnl".encode()}
