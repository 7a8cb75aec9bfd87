"""A signal becomes a filled order and a position; risk's refusals never reach the gateway."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sluice_proto import OrderRejected
from tests.e2e.stack import ProcessStack

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]


async def position(stack: ProcessStack, symbol: str) -> Decimal:
    response = await stack.http.get(
        stack.url("risk", "/positions"), params={"account": stack.account}
    )
    response.raise_for_status()
    held = [p for p in response.json() if p["instrument"]["symbol"] == symbol]
    return Decimal(held[0]["quantity"]) if held else Decimal(0)


async def test_signal_is_approved_submitted_filled_and_the_position_updated(
    stack: ProcessStack,
) -> None:
    before = await position(stack, "MSFT")

    signal = await stack.signal("MSFT", "BUY", 25)
    lifecycle = await stack.outcome(signal)

    assert lifecycle[-1] == "order_filled", lifecycle
    assert lifecycle.index("order_approved") < lifecycle.index("order_submitting")
    assert lifecycle.index("order_submitting") < lifecycle.index("order_submitted")
    assert stack.control.orders_with_ref(signal.client_order_id) == 1

    async def booked() -> bool:
        return await position(stack, "MSFT") == before + 25

    await stack.until("risk's position to include the fill", booked, 10)


def rejection(stack: ProcessStack, client_order_id: str) -> OrderRejected:
    [event] = [
        m.event
        for m in stack.recorder.order_events(client_order_id)
        if isinstance(m.event, OrderRejected)
    ]
    return event


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        pytest.param(("GME", "BUY", 1, "MKT"), "SYMBOL_NOT_ALLOWED", id="denied-symbol"),
        pytest.param(("AAPL", "BUY", 5000, "MKT"), "MAX_ORDER_QUANTITY", id="max-quantity"),
        pytest.param(("ZZZZ", "BUY", 1, "MKT"), "UNKNOWN_INSTRUMENT", id="unknown-instrument"),
        pytest.param(("SPY", "SELL", 10, "LMT", "half"), "PRICE_COLLAR", id="price-collar"),
    ],
)
async def test_risk_rejects_with_a_reason_and_nothing_reaches_the_gateway(
    stack: ProcessStack, order: tuple[object, ...], reason: str
) -> None:
    symbol, side, quantity, order_type, *price = order
    limit = None
    if price:  # a fat finger: half the current bid
        quote = stack.recorder.quote(str(symbol))
        assert quote is not None and quote.bid is not None
        limit = (quote.bid / 2).quantize(Decimal("0.01"))

    signal = await stack.signal(str(symbol), str(side), int(str(quantity)), str(order_type), limit)
    lifecycle = await stack.outcome(signal)

    assert lifecycle == ["order_rejected"]
    rejected = rejection(stack, signal.client_order_id)
    assert (rejected.reason_code, rejected.rejected_by) == (reason, "risk")
    assert rejected.message
    assert stack.control.orders_with_ref(signal.client_order_id) == 0
