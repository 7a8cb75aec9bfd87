"""Risk throughput: decisions per second of the pure engine, and through the in-memory bus.

Run: ``python -m bench.risk`` (or as a section of ``python -m bench``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sluice_bus import MemoryBroker, Message, Outgoing, make_bus
from sluice_proto import ApprovedOrder, Fill, Instrument, OrderFilled, Quote, Signal
from sluice_proto.session import SessionState
from sluice_proto.topics import MD_QUOTES, ORDERS_APPROVED, ORDERS_EVENTS, SESSION_STATE, SIGNALS
from sluice_risk.bootstrap import build, trading_day
from sluice_risk.config import RiskSettings
from sluice_risk.domain.engine import RiskEngine
from sluice_risk.domain.limits import LimitBook, LimitsConfig
from sluice_risk.domain.state import RiskState

ACCOUNT = "DU1"
SYMBOLS = [f"SYM{n}" for n in range(20)]
LIMITS = {"max_open_orders": 10**6, "max_gross_exposure": 10**15}
SPACING = timedelta(milliseconds=20)
"""Signal times 20 ms apart (IBKR's pacing is ~50 orders/s): each of the four strategies stays
under the default rate limit, so every decision runs every check."""


def signals(count: int, at: datetime, prefix: str = "s") -> list[Signal]:
    return [
        Signal(
            signal_id=f"{prefix}{n}",
            strategy_id=f"strat{n % 4}",
            symbol=SYMBOLS[n % len(SYMBOLS)],
            side="BUY" if n % 2 else "SELL",
            quantity=Decimal(10),
            order_type="LMT",
            limit_price=Decimal("100.05"),
            created_at=at,
        )
        for n in range(count)
    ]


def setup(now: datetime) -> tuple[list[Quote], SessionState]:
    quotes = [
        Quote(instrument=Instrument(symbol=s), bid=Decimal(100), ask=Decimal("100.1"), ts=now)
        for s in SYMBOLS
    ]
    return quotes, SessionState(account=ACCOUNT, state="UP", trading_allowed=True, reason="ok")


def filled(client_order_id: str, n: int) -> OrderFilled:
    """The order filled completely at 100."""
    fill = Fill(exec_id=f"e{n}", quantity=Decimal(10), price=Decimal(100))
    return OrderFilled(
        client_order_id=client_order_id,
        account=ACCOUNT,
        fill=fill,
        filled_quantity=fill.quantity,
        avg_fill_price=fill.price,
    )


def pure(count: int, working: int) -> float:
    """Decisions per second of ``RiskEngine.decide`` with ``working`` orders left open.

    Every measured order is filled at once, so positions move and gross exposure is real.
    """
    now = datetime.now(UTC)
    config = LimitsConfig(default_account=ACCOUNT, defaults=LIMITS)
    state = RiskState(LimitBook(config), trading_day("America/New_York"))
    quotes, session = setup(now)
    for quote in quotes:
        state.on_quote(quote)
    state.on_session(session)
    engine = RiskEngine(state, None)
    for signal in signals(working, now, prefix="working"):
        engine.decide(signal, now)
    batch = signals(count, now)
    started = time.perf_counter()
    for n, signal in enumerate(batch):
        decision = engine.decide(signal, now + n * SPACING)
        state.on_order_event(filled(decision.client_order_id, n))
    return count / (time.perf_counter() - started)


async def through_memory_bus(count: int) -> tuple[float, int]:
    """Decisions per second of the service, signals on the bus to approvals on the bus.

    A stand-in router fills every approved order at once, as a venue would, so the service
    also books one fill per decision and the working orders stay few.
    """
    broker = MemoryBroker()
    bus = make_bus("risk", broker=broker)
    await bus.start()
    quotes, session = setup(datetime.now(UTC))
    for quote in quotes:
        await bus.publish(MD_QUOTES, quote, key=quote.instrument.key)
    await bus.publish(SESSION_STATE, session, key=ACCOUNT)
    # The burst is faster than any strategy may send: a 1 ms rate window keeps every order in.
    unthrottled = {**LIMITS, "rate_window_s": 0.001}
    settings = RiskSettings(default_account=ACCOUNT, limit_defaults=unthrottled)
    service = build(settings, bus).component
    await service.start()
    router = make_bus("router", broker=broker)
    await router.consume([ORDERS_APPROVED], group="bench-router", handler=fill_approved)
    market = service.state.market
    await until(broker, lambda: all(market.mark(f"STK:{s}:USD") for s in SYMBOLS))
    started = time.perf_counter()
    for signal in signals(count, datetime.now(UTC)):
        await bus.publish(SIGNALS, signal, key=signal.strategy_id)
    await until(broker, lambda: len(service.state.orders) >= count)  # every signal decided
    rate = count / (time.perf_counter() - started)
    approved = len(broker.records(ORDERS_APPROVED))
    await router.stop()
    await service.stop()
    return rate, approved


async def fill_approved(message: Message[Any]) -> list[Outgoing]:
    """The stand-in router: every approved order fills completely."""
    order = message.event
    if not isinstance(order, ApprovedOrder):
        return []
    return [Outgoing(ORDERS_EVENTS, filled(order.client_order_id, message.record.offset), ACCOUNT)]


async def until(broker: MemoryBroker, check: Callable[[], bool]) -> None:
    """Return once ``check`` holds, looking again on every append (and every 10 ms)."""
    while not check():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(broker.wait_for_change(), 0.01)


def main() -> None:
    """Print risk decision throughput."""
    print("risk: decisions per second, one core")
    print(f"  pure engine, no working orders     {pure(20_000, working=0):10,.0f} /s")
    print(f"  pure engine, 100 working orders    {pure(20_000, working=100):10,.0f} /s")
    rate, approved = asyncio.run(through_memory_bus(2_000))
    print(
        f"  service on the in-memory bus       {rate:10,.0f} /s  "
        f"({approved} of 2000 approved, each filled; changelog included)"
    )


if __name__ == "__main__":
    main()
