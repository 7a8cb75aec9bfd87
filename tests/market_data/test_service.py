"""The market-data service on a bus (in-memory, and the real Kafka broker): subscriptions in,
router requests out; ticks in, conflated quotes out; ``/quotes`` over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from sluice_bus import Bus, make_bus
from sluice_market_data.domain import QuoteBook, SubscriptionRegistry
from sluice_market_data.http import quotes_router
from sluice_market_data.service import MarketData
from sluice_proto.common import Instrument
from sluice_proto.market_data import (
    MdStart,
    MdStop,
    MdSubscribe,
    MdSubscriptionRejected,
    MdTick,
    MdUnsubscribe,
    Quote,
)
from sluice_proto.topics import MD_QUOTES, MD_REQUESTS, MD_SUBSCRIPTIONS, MD_TICKS
from sluice_runtime import build_app
from tests.support.collect import Backend, Collector
from tests.support.polling import eventually

Start = Callable[..., Awaitable[MarketData]]


@pytest.fixture
def symbols() -> Callable[[], Instrument]:
    """Fresh instruments per test: topics are shared on Kafka, keys are not."""
    run = uuid.uuid4().hex[:6].upper()
    counter = iter(range(1000))
    return lambda: Instrument(symbol=f"T{run}{next(counter)}")


@pytest.fixture
async def router(backend: Backend) -> AsyncIterator[Bus]:
    """The bus the test plays the router and the strategies on."""
    bus = make_bus("order-router", *backend)
    await bus.start()
    yield bus
    await bus.stop()


@pytest.fixture
async def market_data(backend: Backend) -> AsyncIterator[Start]:
    started: list[MarketData] = []

    async def start(budget: int = 100, stale_after_s: float = 60.0) -> MarketData:
        bus = make_bus("market-data", *backend)
        await bus.start()
        book = QuoteBook(timedelta(milliseconds=50), timedelta(seconds=stale_after_s))
        service = MarketData(bus, SubscriptionRegistry(budget), book, flush_s=0.01)
        await service.start()
        started.append(service)
        return service

    yield start
    for service in reversed(started):
        with contextlib.suppress(Exception):
            await service.stop()
        await service.bus.stop()


async def watch(bus: Bus) -> Collector:
    return await Collector().start(bus, [MD_REQUESTS, MD_QUOTES], f"probe-{uuid.uuid4().hex[:8]}")


async def subscribe(bus: Bus, who: str, instrument: Instrument, *, on: bool = True) -> None:
    event = (MdSubscribe if on else MdUnsubscribe)(subscriber_id=who, instrument=instrument)
    await bus.publish(MD_SUBSCRIPTIONS, event, key=instrument.key)


async def tick_until(bus: Bus, done: Callable[[], bool], tick: MdTick) -> None:
    """Relay a tick every 50 ms until ``done``, as a streaming router does (ticks are read
    from the latest offset, so the first ones may precede the service's consumer)."""

    async def relay() -> None:
        while True:
            await bus.publish(MD_TICKS, tick, key=tick.instrument.key)
            await asyncio.sleep(0.05)

    task = asyncio.create_task(relay())
    try:
        await eventually(done, what=f"the effect of {tick}")
    finally:
        task.cancel()


async def refused_at_the_broker(
    router: Bus, service: MarketData, seen: Collector, refusal: MdTick
) -> MdSubscriptionRejected:
    """Subscribe "alpha" to the refused instrument, then relay the router's ``refusal`` of its
    stream until market-data rejects the subscription; that rejection."""
    instrument = refusal.instrument
    await subscribe(router, "alpha", instrument)
    await eventually(lambda: service.registry.is_active(instrument.key), what="subscribed")
    rejected = seen.events  # bound once for the lambda below
    await tick_until(
        router, lambda: bool(rejected(MD_QUOTES, instrument.key, MdSubscriptionRejected)), refusal
    )
    (rejection,) = seen.events(MD_QUOTES, instrument.key, MdSubscriptionRejected)
    return rejection


async def test_subscriptions_are_counted_and_become_router_requests(
    router: Bus, market_data: Start, symbols: Callable[[], Instrument]
) -> None:
    instrument = symbols()
    seen = await watch(router)
    await market_data()
    await subscribe(router, "alpha", instrument)
    await subscribe(router, "beta", instrument)
    await subscribe(router, "alpha", instrument, on=False)
    await eventually(lambda: len(seen.events(MD_REQUESTS, instrument.key)) == 1, what="MdStart")
    await subscribe(router, "beta", instrument, on=False)
    await eventually(lambda: len(seen.events(MD_REQUESTS, instrument.key)) == 2, what="MdStop")
    start, stop = seen.events(MD_REQUESTS, instrument.key)
    assert (type(start), type(stop)) == (MdStart, MdStop)


# The budget counts every line still subscribed on the topic, and on the shared Kafka broker
# other test modules (e2e) leave subscriptions behind; the exact count is proven on a fresh
# in-memory log, whose delivery semantics the contract suite proves equal to Kafka's.
@pytest.mark.parametrize("backend", ["memory"], indirect=True)
async def test_the_line_budget_rejects_before_asking_the_router(
    router: Bus, market_data: Start, symbols: Callable[[], Instrument]
) -> None:
    first, second, third = symbols(), symbols(), symbols()
    seen = await watch(router)
    await market_data(budget=2)
    for instrument in (first, second):  # one at a time: keys land on different partitions
        await subscribe(router, "alpha", instrument)
        await eventually(lambda i=instrument: bool(seen.events(MD_REQUESTS, i.key)), what="start")
    await subscribe(router, "alpha", third)
    await eventually(
        lambda: bool(seen.events(MD_QUOTES, third.key, MdSubscriptionRejected)), what="rejection"
    )
    (rejection,) = seen.events(MD_QUOTES, third.key, MdSubscriptionRejected)
    assert rejection.reason_code == "LINE_BUDGET_EXHAUSTED"
    assert "2 of 2 lines in use" in rejection.message
    assert seen.events(MD_REQUESTS, third.key) == []


async def test_ticks_become_quotes_then_stale_quotes(
    router: Bus, market_data: Start, symbols: Callable[[], Instrument]
) -> None:
    instrument = symbols()
    seen = await watch(router)
    await market_data(stale_after_s=0.5)
    await subscribe(router, "alpha", instrument)
    tick = MdTick(instrument=instrument, bid=Decimal("10.5"), ask=Decimal("10.6"))
    await tick_until(router, lambda: bool(seen.events(MD_QUOTES, instrument.key, Quote)), tick)
    first = seen.events(MD_QUOTES, instrument.key, Quote)[0]
    assert (first.bid, first.ask, first.stale) == (Decimal("10.5"), Decimal("10.6"), False)
    await eventually(
        lambda: seen.events(MD_QUOTES, instrument.key, Quote)[-1].stale, what="a stale quote"
    )


async def test_a_refused_instrument_frees_its_line_and_tells_the_subscriber(
    router: Bus, market_data: Start, symbols: Callable[[], Instrument]
) -> None:
    instrument = symbols()
    seen = await watch(router)
    service = await market_data()
    refusal = MdTick(
        instrument=instrument,
        error_code=200,
        error_text="IBKR 200: No security definition",
        reason="UNKNOWN_INSTRUMENT",
    )
    rejection = await refused_at_the_broker(router, service, seen, refusal)
    assert (rejection.reason_code, rejection.subscriber_id) == ("UNKNOWN_INSTRUMENT", "alpha")
    # the watcher may not have the MdStart yet either: the latest request, once there, is a stop
    await eventually(
        lambda: [type(e) for e in seen.events(MD_REQUESTS, instrument.key)][-1:] == [MdStop],
        what="the line freed at the router",
    )
    assert not service.registry.is_active(instrument.key)


@pytest.mark.parametrize("backend", ["memory"], indirect=True)  # exact line count: see above
async def test_a_line_limit_at_the_broker_frees_the_line_for_the_next_instrument(
    router: Bus, market_data: Start, symbols: Callable[[], Instrument]
) -> None:
    refused, other = symbols(), symbols()
    seen = await watch(router)
    service = await market_data(budget=1)
    limit = MdTick(
        instrument=refused,
        error_code=101,
        error_text="IBKR 101: Max number of tickers has been reached",
        reason="LINE_LIMIT",
    )
    rejection = await refused_at_the_broker(router, service, seen, limit)
    assert (rejection.reason_code, rejection.message) == ("LINE_LIMIT", limit.error_text)
    assert service.registry.lines_in_use == 0
    await subscribe(router, "alpha", other)  # the budget of one line admits the next instrument
    await eventually(lambda: bool(seen.events(MD_REQUESTS, other.key)), what="MdStart")
    assert [type(e) for e in seen.events(MD_REQUESTS, other.key)] == [MdStart]
    assert seen.events(MD_QUOTES, other.key, MdSubscriptionRejected) == []


@pytest.mark.parametrize("backend", ["memory"], indirect=True)
async def test_quotes_over_http(
    router: Bus, market_data: Start, symbols: Callable[[], Instrument]
) -> None:
    instrument = symbols()
    service = await market_data()
    await subscribe(router, "alpha", instrument)
    await tick_until(
        router,
        lambda: bool(service.book.quotes()),
        MdTick(instrument=instrument, last=Decimal(101), last_size=Decimal(5)),
    )
    app = build_app(service, service.bus, routes=quotes_router(service))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://md") as client:
        found = await client.get(f"/quotes/{instrument.symbol.lower()}")
        everything = await client.get("/quotes")
        missing = await client.get("/quotes/NOPE")
    assert found.status_code == 200
    (quote,) = found.json()["quotes"]
    assert (quote["last"], quote["instrument"]["symbol"], quote["stale"]) == (
        "101",
        instrument.symbol,
        False,
    )
    assert everything.json()["lines_in_use"] == 1
    assert missing.status_code == 404
