"""Futures and options signals through the deployed-shape stack (socket path, real Kafka):
qualified by every term and filled; an ambiguous one never becomes an order: risk rejects it
with the router's reason and candidates, relayed by market-data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sluice_proto import Instrument, OrderSubmitting
from tests.e2e.stack import ProcessStack
from tests.support.derivatives import (
    AAPL_CALL,
    AAPL_CALL_CON_ID,
    AAPL_CALL_DEC,
    ES_DEC26,
    ES_DEC26_CON_ID,
    signal_fields,
)

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]


def contract(stack: ProcessStack, client_order_id: str) -> Instrument:
    """The contract the router qualified the order to (its write-ahead record)."""
    [submitting] = [
        m.event
        for m in stack.recorder.order_events(client_order_id)
        if isinstance(m.event, OrderSubmitting)
    ]
    assert submitting.contract is not None
    return submitting.contract


async def test_a_futures_and_an_options_signal_qualify_and_fill(stack: ProcessStack) -> None:
    for instrument in (ES_DEC26, AAPL_CALL):  # market orders: risk wants a fresh quote
        await stack.quotes_flow(instrument)
    future = await stack.signal("ES", "BUY", 1, **signal_fields(ES_DEC26))
    option = await stack.signal("AAPL", "BUY", 2, **signal_fields(AAPL_CALL))

    for signal, con_id in ((future, ES_DEC26_CON_ID), (option, AAPL_CALL_CON_ID)):
        coid = signal.client_order_id
        lifecycle = await stack.outcome(signal)
        assert "order_filled" in lifecycle, (lifecycle, stack.recorder.rejections(coid))
        assert contract(stack, coid).con_id == con_id
        assert stack.control.orders_with_ref(coid) == 1
    es = contract(stack, future.client_order_id)
    assert (es.local_symbol, es.multiplier, es.last_trade_date_or_contract_month) == (
        "ESZ6", 50, "20261218"
    )  # fmt: skip
    call = contract(stack, option.client_order_id)
    assert (call.strike, call.right, call.multiplier) == (200, "C", 100)


@pytest.mark.parametrize(
    ("order_type", "limit_price"), [("MKT", None), ("LMT", Decimal("5.00"))], ids=["MKT", "LMT"]
)
async def test_an_ambiguous_options_signal_is_rejected_naming_its_candidates(
    stack: ProcessStack, order_type: str, limit_price: Decimal | None
) -> None:
    signal = await stack.signal(
        "AAPL", "BUY", 1, order_type, limit_price, **signal_fields(AAPL_CALL_DEC)
    )
    coid = signal.client_order_id
    lifecycle = await stack.outcome(signal)

    assert lifecycle == ["order_rejected"], lifecycle
    [rejected] = stack.recorder.rejections(coid)
    # risk waits for a quote (a limit order too: the stack requires one); the router cannot
    # qualify the contract, so market-data refuses the stream with the router's reason and
    # candidates, and risk rejects the signal with them
    assert (rejected.reason_code, rejected.rejected_by) == ("AMBIGUOUS_INSTRUMENT", "risk")
    expiries = [c.last_trade_date_or_contract_month for c in rejected.candidates]
    assert expiries == ["20261211", "20261218"], rejected
    symbols = [c.local_symbol for c in rejected.candidates]
    assert symbols == ["AAPL  261211C00200000", "AAPL  261218C00200000"]
    assert all(c.con_id and (c.strike, c.right) == (200, "C") for c in rejected.candidates)
    assert stack.control.orders_with_ref(coid) == 0
