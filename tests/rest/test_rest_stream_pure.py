"""The WebSocket's messages as the router's events, without a socket: field values as IBKR
writes them, merged partial quotes and orders, each execution reported once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sluice_order_router.adapters.rest.feed import StreamFeed
from sluice_order_router.adapters.rest.quotes import QuoteBook, field_value, subscribe_message
from sluice_order_router.adapters.rest.updates import UpdateDiffer
from sluice_order_router.ports import OrderUpdate
from sluice_proto import Instrument

AAPL = Instrument(symbol="AAPL", con_id=265598)


def test_field_values_as_ibkr_writes_them() -> None:
    assert field_value("169.51") == Decimal("169.51")
    assert field_value("C169.51") == Decimal("169.51")  # closing price, before the open
    assert field_value("1,200") == Decimal(1200)
    assert field_value("5.3K") == Decimal(5300)
    assert field_value(0.04) == Decimal("0.04")
    assert field_value("N/A") is None
    assert field_value(None) is None
    assert subscribe_message(265598).startswith('smd+265598+{"fields": ["84", "86", "31"')


def _feed() -> tuple[StreamFeed, list[Any], list[OrderUpdate]]:
    book = QuoteBook()
    book.add(AAPL)
    feed = StreamFeed(book, UpdateDiffer())
    ticks: list[Any] = []
    updates: list[OrderUpdate] = []

    async def on_tick(instrument: Instrument, prices: dict[str, Decimal | None]) -> None:
        ticks.append((instrument.symbol, prices["bid"], prices["ask"], prices["last"]))

    async def on_update(update: OrderUpdate) -> None:
        updates.append(update)

    feed.on_tick, feed.on_update = on_tick, on_update
    return feed, ticks, updates


async def test_partial_quotes_are_merged_into_the_last_one() -> None:
    feed, ticks, _ = _feed()
    await feed({"topic": "smd+265598", "conid": 265598, "84": "190.00", "86": "190.02"})
    await feed({"topic": "smd+265598", "conid": 265598, "31": "190.01"})
    await feed({"topic": "smd+265598", "conid": 265598, "_updated": 1})  # nothing priced
    await feed({"topic": "smd+8314", "conid": 8314, "84": "1"})  # not subscribed
    assert ticks == [
        ("AAPL", Decimal("190.00"), Decimal("190.02"), None),
        ("AAPL", Decimal("190.00"), Decimal("190.02"), Decimal("190.01")),
    ]


async def test_orders_merge_partial_updates_and_fills_count_once() -> None:
    feed, _, updates = _feed()
    order = {"orderId": 7, "order_ref": "c1", "status": "Submitted", "remainingQuantity": 10}
    await feed({"topic": "sor", "args": [order]})
    await feed({"topic": "sor", "args": [{"orderId": 7, "status": "Submitted"}]})  # no change
    trade = {"execution_id": "e1", "order_ref": "c1", "order_id": 7, "size": 10, "price": "1"}
    await feed({"topic": "str", "args": [trade]})
    await feed({"topic": "str", "args": [trade]})  # the same execution again
    await feed({"topic": "sor", "args": [{"orderId": 7, "status": "Filled", "filledQuantity": 10}]})
    assert [(u.order.client_order_id, u.order.status, u.fill is not None) for u in updates] == [
        ("c1", "accepted", False),
        ("c1", "accepted", True),
        ("c1", "filled", False),
    ]


async def test_pnl_rows_are_kept_by_account() -> None:
    feed, _, _ = _feed()
    row = {"rowType": 1, "dpl": -12.5, "upl": 3.25, "nl": 1000000.0, "mv": 0.0}
    await feed({"topic": "spl", "args": {"DU1234567.Core": row}})
    assert feed.pnl["DU1234567.Core"]["daily"] == Decimal("-12.5")
    assert feed.pnl["DU1234567.Core"]["unrealized"] == Decimal("3.25")
