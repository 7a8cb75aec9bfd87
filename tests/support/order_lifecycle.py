"""One order through the embedded stack, with every service's /metrics before and after."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sluice_cli.stack import LocalStack, StackConfig
from sluice_cli.topic_view import TopicView
from sluice_proto import Instrument, Signal
from sluice_proto.market_data import MdSubscribe
from sluice_proto.orders import OrderFilled
from sluice_proto.topics import MD_SUBSCRIPTIONS, ORDERS_EVENTS, SIGNALS
from tests.support.collect import topic_events
from tests.support.net import free_port_run
from tests.support.polling import eventually
from tests.support.prometheus import Scrape, scrape

SERVICES = ("market-data", "risk", "session-keeper", "order-router")


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Each service's /metrics once trading was allowed, and again after one fill."""

    account: str
    before: dict[str, Scrape]
    after: dict[str, Scrape]


async def _scrape_all(stack: LocalStack) -> dict[str, Scrape]:
    scrapes = {}
    for name in SERVICES:
        server = stack.services.member(name).server
        assert server is not None, f"{name} serves no HTTP"
        scrapes[name] = await scrape(server.port)
    return scrapes


async def one_filled_order() -> Lifecycle:
    """Start the stack, wait for session UP and an AAPL quote, buy 1 AAPL at market, wait for
    the fill; the scrapes around it."""
    base = free_port_run(len(SERVICES))
    config = StackConfig(http_port=base, quote_interval_s=0.05)
    async with LocalStack(config) as stack:
        view = TopicView(stack.broker)
        await eventually(view.trading_allowed, what="session UP")
        aapl = Instrument(symbol="AAPL")
        subscribe = MdSubscribe(subscriber_id="metrics-test", instrument=aapl)
        await stack.operator.publish(MD_SUBSCRIPTIONS, subscribe, key=aapl.key)
        await eventually(lambda: view.have_quotes(["AAPL"]), what="an AAPL quote")
        before = await _scrape_all(stack)
        signal = Signal(
            signal_id="metrics-1",
            strategy_id="metrics-test",
            symbol="AAPL",
            side="BUY",
            quantity=Decimal(1),
            order_type="MKT",
        )
        await stack.operator.publish(SIGNALS, signal, key=signal.strategy_id)

        def filled() -> bool:
            events = topic_events(stack.broker, ORDERS_EVENTS)
            return any(isinstance(e, OrderFilled) for e in events)

        await eventually(filled, what="the fill")
        return Lifecycle(config.account, before, await _scrape_all(stack))
