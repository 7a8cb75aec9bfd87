"""The must-show scenarios of the newer order types, for either path's stack: a bracket whose
take-profit fills and whose stop-loss the venue cancels, with risk's exposure checked at every
step; a trailing stop that follows the simulated quote and triggers.

The simulator's prices are held still (``QuoteBook.still``) so that risk's marks, and so its
exposure, are exact; the tests move them with ``set_mid`` alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sluice_proto import OrderFilled, Signal
from sluice_proto.order_terms import child_order_id
from sluice_sim.venue import ContractQuery, PaperVenue
from tests.e2e.stack import ServiceStack

CENT = Decimal("0.01")
SYMBOL = "MSFT"
"""Traded by Sluice alone in the e2e stacks (a position another test changes behind Sluice's
back is valued by risk's own rules, which these tests do not restate)."""
SETTLE_S = 0.5


def con_id_of(venue: PaperVenue) -> int:
    [inst] = venue.universe.resolve(ContractQuery(symbol=SYMBOL, sec_type="STK"))
    return inst.con_id


@contextmanager
def still_prices(venue: PaperVenue, con_id: int) -> Iterator[Decimal]:
    """Hold the venue's prices still; yields the instrument's mid, restored afterwards."""
    quote = venue.quotes.quote(con_id)
    mid = ((quote.bid + quote.ask) / 2).quantize(CENT)
    venue.quotes.still = True
    venue.quotes.set_mid(con_id, mid)
    try:
        yield mid
    finally:
        venue.quotes.set_mid(con_id, mid)
        venue.quotes.still = False


async def exposure_is(
    stack: ServiceStack[Any], working: Decimal, open_orders: int, within_s: float, what: str
) -> None:
    """Wait until risk's exposure is the positions (at risk's marks) plus ``working``."""
    seen: list[object] = []

    async def right() -> bool:
        # read around the positions: a mark that moved in between shows as two exposures
        before = await stack.exposure()
        held = await stack.held_value()
        exposure, count = await stack.exposure()
        seen[:] = [exposure, held + working, count, open_orders]
        return before == (exposure, count) and (exposure, count) == (held + working, open_orders)

    try:
        await stack.until(f"risk's exposure {what}", right, within_s)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; exposure, expected, open orders, expected: {seen}") from None


async def settled(stack: ServiceStack[Any], within_s: float) -> tuple[Decimal, int]:
    """Once the last moving quotes have reached risk: its exposure beyond the positions (the
    working orders) and its open-order count, the same in two readings a moment apart."""
    readings: list[tuple[Decimal, int]] = []

    async def still() -> bool:
        exposure, count = await stack.exposure()
        readings.append((exposure - await stack.held_value(), count))
        await asyncio.sleep(SETTLE_S)
        return len(readings) > 1 and readings[-1] == readings[-2]

    await stack.until("risk's exposure to settle", still, within_s)
    return readings[-1]


async def reached(stack: ServiceStack[Any], coid: str, kind: str, within_s: float) -> None:
    await stack.until(f"{coid} {kind}", lambda: kind in stack.recorder.lifecycle(coid), within_s)


async def bracket_take_profit_cancels_stop_loss(
    stack: ServiceStack[Any], venue: PaperVenue, within_s: float
) -> Signal:
    """The bracket scenario; returns the parent's signal."""
    con_id = con_id_of(venue)
    with still_prices(venue, con_id) as mid:
        # what risk counted before: positions move with marks, working orders do not
        working_before, open_before = await settled(stack, within_s)
        quantity, entry = Decimal(10), (mid * Decimal("0.99")).quantize(CENT)
        take_profit = (mid * Decimal("1.05")).quantize(CENT)
        signal = await stack.send(
            symbol=SYMBOL, side="BUY", quantity=quantity, order_type="LMT", limit_price=entry,
            take_profit=take_profit, stop_loss=(mid * Decimal("0.95")).quantize(CENT),
        )  # fmt: skip
        parent = signal.client_order_id
        tp, sl = child_order_id(parent, "tp"), child_order_id(parent, "sl")
        for coid in (parent, tp, sl):
            await reached(stack, coid, "order_accepted", within_s)
        # 1. working: the bracket counts as its parent; three orders are open
        await exposure_is(stack, working_before + quantity * entry, open_before + 3, within_s,
                          "with the bracket working")  # fmt: skip

        venue.quotes.set_mid(con_id, entry - Decimal("0.05"))  # the parent's limit is crossed
        await reached(stack, parent, "order_filled", within_s)
        # 2. filled: the position counts at its mark; the children add nothing
        await exposure_is(
            stack, working_before, open_before + 2, within_s, "once the parent filled"
        )

        venue.quotes.set_mid(con_id, take_profit + Decimal("0.05"))  # the take-profit trades
        await reached(stack, tp, "order_filled", within_s)
        await reached(stack, sl, "order_cancelled", within_s)
        # 3. flat again: nothing of the bracket is left
        await exposure_is(stack, working_before, open_before, within_s, "once the bracket is over")
    assert "order_filled" not in stack.recorder.lifecycle(sl)
    for coid in (parent, tp, sl):
        assert stack.broker.orders_with_ref(coid) == 1
    return signal


async def trailing_stop_follows_and_triggers(
    stack: ServiceStack[Any], venue: PaperVenue, within_s: float
) -> None:
    """A trailing sell stop 1.00 behind the bid: the market rises 3, dips 0.5 (within the
    trail: nothing), then falls through the raised stop, which sells well above where a stop
    that had not followed would be."""
    con_id = con_id_of(venue)
    before = await held(stack)
    with still_prices(venue, con_id) as mid:
        signal = await stack.send(
            symbol=SYMBOL, side="SELL", quantity=Decimal(5), order_type="TRAIL",
            trailing_amount=Decimal(1),
        )  # fmt: skip
        coid = signal.client_order_id
        await reached(stack, coid, "order_accepted", within_s)
        venue.quotes.set_mid(con_id, mid + 3)
        venue.quotes.set_mid(con_id, mid + Decimal("2.5"))
        assert "order_filled" not in stack.recorder.lifecycle(coid)
        venue.quotes.set_mid(con_id, mid + Decimal("1.5"))  # through the stop (about mid + 2)
        await reached(stack, coid, "order_filled", within_s)
    [fill] = [
        m.event.fill for m in stack.recorder.order_events(coid) if isinstance(m.event, OrderFilled)
    ]
    assert fill.price > mid + 1  # the starting stop was about mid - 1

    async def booked() -> bool:  # the next test starts from risk's position
        return await held(stack) == before - 5

    await stack.until("risk to book the trailing stop's fill", booked, within_s)


async def held(stack: ServiceStack[Any]) -> Decimal:
    """Risk's position in ``SYMBOL`` for the stack's account."""
    response = await stack.http.get(
        stack.url("risk", "/positions"), params={"account": stack.account}
    )
    response.raise_for_status()
    mine = [p for p in response.json() if p["instrument"]["symbol"] == SYMBOL]
    return sum((Decimal(p["quantity"]) for p in mine), Decimal(0))
