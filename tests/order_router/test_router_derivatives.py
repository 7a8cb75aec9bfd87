"""Futures and options through the socket path: qualified by every term, or rejected with the
candidates when IBKR has several (router on the in-memory bus, TWS simulator over TCP)."""

from __future__ import annotations

from decimal import Decimal

from sluice_bus import MemoryBroker, MemoryBus
from sluice_proto.market_data import MdStart, MdTick
from sluice_proto.orders import OrderRejected
from sluice_proto.topics import MD_REQUESTS, MD_TICKS
from sluice_sim.tws.control import TwsControl
from tests.order_router.conftest import StartRouter
from tests.support.collect import topic_events
from tests.support.derivatives import (
    AAPL_CALL,
    AAPL_CALL_CON_ID,
    AAPL_CALL_DEC,
    ES_CALL,
    ES_CALL_CON_ID,
    ES_DEC26,
    ES_DEC26_CON_ID,
    ES_FRONT,
    SHOP_CAD,
    SHOP_CAD_CON_ID,
    filled_contract,
    front_es_con_id,
)
from tests.support.orders import approved, kinds, of, send
from tests.support.polling import eventually


async def test_a_future_with_a_contract_month_and_an_option_qualify_and_fill(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router()
    future = await filled_contract(broker, "es-1", ES_DEC26)
    assert (future.con_id, future.local_symbol, future.multiplier) == (ES_DEC26_CON_ID, "ESZ6", 50)
    assert future.last_trade_date_or_contract_month == "20261218"
    option = await filled_contract(broker, "call-1", AAPL_CALL)
    assert (option.con_id, option.strike, option.right) == (AAPL_CALL_CON_ID, 200, "C")
    assert (option.local_symbol, option.multiplier) == ("AAPL  261218C00200000", 100)
    assert control.orders_with_ref("es-1") == control.orders_with_ref("call-1") == 1
    on_future = await filled_contract(broker, "fop-1", ES_CALL)
    assert (on_future.con_id, on_future.local_symbol) == (ES_CALL_CON_ID, "ESZ6 C5300")


async def test_an_ambiguous_option_is_rejected_with_its_candidates(
    start_router: StartRouter, broker: MemoryBroker, control: TwsControl
) -> None:
    await start_router()
    await send(broker, approved("amb-1", instrument=AAPL_CALL_DEC, quantity=Decimal(1)))
    await eventually(lambda: OrderRejected in kinds(broker, "amb-1"))
    [rejected] = of(broker, "amb-1")
    assert isinstance(rejected, OrderRejected)
    assert (rejected.reason_code, rejected.rejected_by) == ("AMBIGUOUS_INSTRUMENT", "router")
    expiries = [c.last_trade_date_or_contract_month for c in rejected.candidates]
    assert expiries == ["20261211", "20261218"]
    for candidate in rejected.candidates:
        assert candidate.con_id and candidate.local_symbol
        assert (candidate.exchange, candidate.currency) == ("SMART", "USD")
        assert (candidate.strike, candidate.right, candidate.multiplier) == (200, "C", 100)
    assert control.orders_with_ref("amb-1") == 0


async def test_the_front_month_and_the_listing_in_the_currency_asked_for(
    start_router: StartRouter, broker: MemoryBroker
) -> None:
    await start_router()
    front = await filled_contract(broker, "front-1", ES_FRONT)
    assert front.con_id == front_es_con_id()
    assert front.last_trade_date_or_contract_month is not None  # the month chosen, in the event
    listing = await filled_contract(broker, "shop-1", SHOP_CAD)
    assert (listing.con_id, listing.currency) == (SHOP_CAD_CON_ID, "CAD")


async def test_a_quote_stream_for_an_ambiguous_option_is_refused_with_its_candidates(
    start_router: StartRouter, broker: MemoryBroker
) -> None:
    await start_router()
    start = MdStart(instrument=AAPL_CALL_DEC)
    await MemoryBus(broker, "market-data").publish(MD_REQUESTS, start, key=start.instrument.key)

    def refusals() -> list[MdTick]:
        return [t for t in topic_events(broker, MD_TICKS) if isinstance(t, MdTick) and t.reason]

    await eventually(refusals, what="the stream refused")
    [refused] = refusals()
    assert (refused.instrument, refused.reason) == (AAPL_CALL_DEC, "AMBIGUOUS_INSTRUMENT")
    expiries = [c.last_trade_date_or_contract_month for c in refused.candidates]
    assert expiries == ["20261211", "20261218"]
    assert all(c.con_id and c.local_symbol for c in refused.candidates)
