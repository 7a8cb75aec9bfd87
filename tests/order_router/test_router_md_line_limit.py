"""IBKR's 101 on the socket, through the real router, to market-data's subscription rejection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from sluice_bus import MemoryBroker, MemoryBus
from sluice_market_data.domain import QuoteBook, SubscriptionRegistry
from sluice_market_data.service import MarketData
from sluice_order_router.bootstrap import build
from sluice_order_router.config import RouterSettings
from sluice_order_router.service import RouterService
from sluice_proto import Instrument
from sluice_proto.market_data import MdSubscribe, MdSubscriptionRejected, MdUnsubscribe, Quote
from sluice_proto.topics import MD_QUOTES, MD_SUBSCRIPTIONS
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.support.collect import topic_events
from tests.support.gateway import ACCOUNT
from tests.support.polling import eventually

AAPL, MSFT = Instrument(symbol="AAPL"), Instrument(symbol="MSFT")


@pytest.fixture
def tws_config() -> TwsConfig:
    """The account has one line at IBKR; market-data is configured for two."""
    return TwsConfig(port=0, accounts=(ACCOUNT,), market_data_lines=1)


@pytest.fixture
async def market_data(broker: MemoryBroker) -> AsyncIterator[MarketData]:
    bus = MemoryBus(broker, "market-data")
    await bus.start()
    book = QuoteBook(timedelta(milliseconds=50), timedelta(seconds=60))
    service = MarketData(bus, SubscriptionRegistry(line_budget=2), book, flush_s=0.01)
    await service.start()
    yield service
    await service.stop()
    await bus.stop()


@pytest.fixture
async def router(tws: TwsServer, broker: MemoryBroker) -> AsyncIterator[RouterService]:
    """The router as deployed: built by its bootstrap (socket adapter behind the egress gate)."""
    bus = MemoryBus(broker, "order-router")
    await bus.start()
    settings = RouterSettings(
        ibkr_api="socket", ibkr_account=ACCOUNT, ibkr_port=tws.port, ibkr_client_id=31,
        reconnect_initial_s=0.05, reconnect_max_s=0.2,
    )  # fmt: skip
    service = build(settings, bus).component
    await service.start()
    yield service
    await service.stop()
    await bus.stop()


async def subscribe(broker: MemoryBroker, instrument: Instrument, *, on: bool = True) -> None:
    event = (MdSubscribe if on else MdUnsubscribe)(subscriber_id="alpha", instrument=instrument)
    await MemoryBus(broker, "strategy").publish(MD_SUBSCRIPTIONS, event, key=instrument.key)


def quoted(broker: MemoryBroker, instrument: Instrument) -> bool:
    quotes = topic_events(broker, MD_QUOTES)
    return any(isinstance(q, Quote) and q.instrument == instrument for q in quotes)


def rejections(broker: MemoryBroker) -> list[MdSubscriptionRejected]:
    quotes = topic_events(broker, MD_QUOTES)
    return [r for r in quotes if isinstance(r, MdSubscriptionRejected)]


async def test_101_at_the_socket_is_a_line_limit_rejection_and_frees_the_line(
    market_data: MarketData, router: RouterService, broker: MemoryBroker, control: TwsControl
) -> None:
    await eventually(lambda: router.readiness()[0], what="the router to connect")
    await subscribe(broker, AAPL)
    await eventually(lambda: quoted(broker, AAPL))  # AAPL holds the account's one line
    await subscribe(broker, MSFT)  # within market-data's budget of two: the router is asked
    await eventually(lambda: rejections(broker))
    (rejection,) = rejections(broker)
    assert (rejection.instrument, rejection.subscriber_id) == (MSFT, "alpha")
    assert rejection.reason_code == "LINE_LIMIT"
    assert rejection.message == "IBKR 101: Max number of tickers has been reached"
    assert market_data.registry.lines_in_use == 1  # MSFT's line is free again
    await subscribe(broker, AAPL, on=False)  # frees the line at IBKR too
    await eventually(lambda: market_data.registry.lines_in_use == 0)
    await subscribe(broker, MSFT)
    control.step()
    await eventually(lambda: quoted(broker, MSFT))
    assert len(rejections(broker)) == 1
