"""On the REST path (Client Portal simulator, in process): a bracket goes as one order list
linked by ``cOID`` and one child cancels the other; a trailing stop by percent follows the
quote and triggers; what the Web API cannot express is refused, not bent."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest

from sluice_proto.order_terms import child_order_id
from sluice_proto.orders import (
    OrderAccepted,
    OrderBrokerRejected,
    OrderCancelled,
    OrderFilled,
)
from sluice_sim.cp import CpSimulator
from tests.rest.conftest import StartRestRouter
from tests.support.gateway import AAPL_CON_ID
from tests.support.orders import accepted, approved, kinds, of, send
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

D = Decimal
WITHIN_S = 30  # states come from the order list the router polls


async def test_a_bracket_is_one_order_list_and_one_child_cancels_the_other(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    quotes = sim.state.venue.quotes
    quotes.still = True
    quotes.set_mid(AAPL_CON_ID, D(100))
    sim.control.script_prompts([])
    _, broker = await start_rest_router()
    await send(broker, approved("br", order_type="LMT", limit_price=D(99), take_profit=D(110),
                                stop_loss=D(95)))  # fmt: skip
    tp, sl = child_order_id("br", "tp"), child_order_id("br", "sl")
    for coid in ("br", tp, sl):
        await eventually(partial(accepted, broker, coid), within=WITHIN_S)
    venue = sim.state.venue
    [parent] = [o for o in venue.store if o.spec.order_ref == "br"]
    assert {o.spec.parent_id for o in venue.store if o.spec.order_ref in (tp, sl)} == {
        parent.spec.order_id
    }
    [stop] = [o for o in venue.store if o.spec.order_ref == sl]
    assert (stop.spec.order_type, stop.spec.stop_price) == ("STP", 95)  # sent as ``price``

    quotes.set_mid(AAPL_CON_ID, D("98.5"))
    await eventually(lambda: OrderFilled in kinds(broker, "br"), within=WITHIN_S)
    quotes.set_mid(AAPL_CON_ID, D(111))
    await eventually(lambda: OrderFilled in kinds(broker, tp), within=WITHIN_S)
    await eventually(lambda: OrderCancelled in kinds(broker, sl), within=WITHIN_S)


async def test_a_trailing_stop_by_percent_follows_the_quote_and_triggers(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    quotes = sim.state.venue.quotes
    quotes.still = True
    quotes.set_mid(AAPL_CON_ID, D(100))
    _, broker = await start_rest_router()
    await send(broker, approved("tr", side="SELL", order_type="TRAIL", trailing_percent=D(1)))
    await eventually(lambda: OrderAccepted in kinds(broker, "tr"), within=WITHIN_S)
    quotes.set_mid(AAPL_CON_ID, D(104))
    quotes.set_mid(AAPL_CON_ID, D("103.5"))
    assert OrderFilled not in kinds(broker, "tr")
    quotes.set_mid(AAPL_CON_ID, D(102))  # the stop followed to about 102.9
    await eventually(lambda: OrderFilled in kinds(broker, "tr"), within=WITHIN_S)
    filled = of(broker, "tr")[-1]
    assert isinstance(filled, OrderFilled) and filled.fill.price > D(101)


async def test_an_oca_group_is_refused_on_the_web_api(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router()
    await send(broker, approved("oca", order_type="LMT", limit_price=D(1), oca_group="g"))
    await eventually(lambda: OrderBrokerRejected in kinds(broker, "oca"), within=WITHIN_S)
    [rejected] = [e for e in of(broker, "oca") if isinstance(e, OrderBrokerRejected)]
    assert "OCA" in rejected.text
    assert sim.state.venue.store.orders_with_ref("oca") == 0
