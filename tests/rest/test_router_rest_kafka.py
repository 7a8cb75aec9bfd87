"""The router (application layer + REST adapter) on real Kafka, through the real SOCKS5 proxy,
against the Client Portal simulator: place, confirm, decline, cancel, hold and reconcile;
quotes and fills pushed over the WebSocket."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from sluice_bus import Message, make_bus
from sluice_order_router.adapters.rest import RestGateway
from sluice_order_router.publisher import Publisher
from sluice_order_router.service import RouterService
from sluice_proto import AmendOrder, ApprovedOrder, CancelOrder, Instrument
from sluice_proto.orders import (
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderBrokerRejected,
    OrderCancelled,
    OrderFilled,
    OrderHeld,
    OrderRejected,
    OrderSubmitted,
    OrderSubmitting,
    ReplyPromptAudit,
)
from sluice_proto.topics import ORDERS_APPROVED, ORDERS_EVENTS
from sluice_sim.cp import CpSimulator
from sluice_sim.venue import VenueConfig
from tests.egress.fixtures import ROUTER_LIMITS, ShieldProxy, cp_simulator, rest_settings
from tests.support.derivatives import AAPL_CALL_DEC, SHOP_CAD, SHOP_CAD_CON_ID
from tests.support.gateway import AAPL_CON_ID
from tests.support.orders import amend, at_venue
from tests.support.polling import eventually
from tests.support.quote_latency import (
    QuoteWatch,
    fresh_mids,
    latencies,
    start_market_data,
    subscribe,
    warm_up,
)

pytestmark = [pytest.mark.kafka, pytest.mark.integration]


class Rig:
    """One router on Kafka, its own account, and everything it published."""

    def __init__(self, bootstrap: str, sim: CpSimulator, shield: ShieldProxy, account: str):
        self.account = account
        self.bus = make_bus("order-router", bootstrap)
        self.probe = make_bus("probe", bootstrap)
        self.risk = make_bus("risk", bootstrap)
        publisher = Publisher(self.bus, account)

        async def audit(event: ReplyPromptAudit) -> None:
            await publisher.orders([event])

        self.gateway = RestGateway(
            rest_settings(sim, shield.url), account, on_audit=audit,
            on_session_report=publisher.report, limits=ROUTER_LIMITS,
        )  # fmt: skip
        self.router = RouterService(self.bus, self.gateway)
        self.events: list[Any] = []

    async def collect(self, message: Message[Any]) -> None:
        if getattr(message.event, "account", None) == self.account:
            self.events.append(message.event)

    def of(self, coid: str) -> list[type]:
        return [type(e) for e in self.events if getattr(e, "client_order_id", "") == coid]

    async def send(self, command: ApprovedOrder | CancelOrder | AmendOrder) -> None:
        await self.risk.publish(ORDERS_APPROVED, command, key=self.account)

    def order(self, coid: str, **fields: Any) -> ApprovedOrder:
        base: dict[str, Any] = {
            "client_order_id": coid, "strategy_id": "s1", "signal_id": coid,
            "account": self.account, "instrument": Instrument(symbol="AAPL"), "side": "BUY",
            "quantity": Decimal(10), "order_type": "MKT",
        }  # fmt: skip
        return ApprovedOrder(**{**base, **fields})


@pytest.fixture
async def rig(kafka_bootstrap: str, shield: ShieldProxy) -> AsyncIterator[tuple[Rig, CpSimulator]]:
    account = f"DU9{secrets.randbelow(10**6):06d}"  # a fresh account: no journal from earlier runs
    venue = VenueConfig(accounts={account: Decimal(1_000_000)})
    async with cp_simulator(venue=venue) as sim:
        rig = Rig(kafka_bootstrap, sim, shield, account)
        for bus in (rig.bus, rig.probe, rig.risk):
            await bus.start()
        consumer = await rig.probe.consume(
            [ORDERS_EVENTS], group=f"probe-{account}", handler=rig.collect
        )
        await rig.router.start()
        await eventually(lambda: rig.router.readiness()[0], what="router connected via Shield")
        yield rig, sim
        await rig.router.stop()
        await consumer.stop()
        for bus in (rig.bus, rig.probe, rig.risk):
            await bus.stop()


async def test_place_confirm_decline_cancel(rig: tuple[Rig, CpSimulator]) -> None:
    r, sim = rig
    await r.send(r.order("mkt"))
    await r.send(r.order("far", order_type="LMT", limit_price=Decimal(100)))  # o163: allowed
    sim.control.script_prompts([])  # "mkt" and "far" are placed before this matters
    await eventually(lambda: OrderFilled in r.of("mkt"), what="market order filled")
    await eventually(lambda: OrderAccepted in r.of("far"), what="limit order working")
    sim.control.script_prompts(["o10001"])  # a prompt nobody allow-listed
    await r.send(r.order("odd"))
    await eventually(lambda: OrderBrokerRejected in r.of("odd"), what="unknown prompt declined")
    await r.send(CancelOrder(client_order_id="far", account=r.account))
    await eventually(lambda: OrderCancelled in r.of("far"), what="limit order cancelled")

    audits = [e for e in r.events if isinstance(e, ReplyPromptAudit)]
    assert [(a.client_order_id, a.decision, a.message_ids) for a in audits] == [
        ("far", "confirmed", ["o163"]),
        ("odd", "declined", ["o10001"]),
    ]
    assert all(a.text for a in audits)
    store = sim.state.venue.store
    assert [store.orders_with_ref(c) for c in ("mkt", "far", "odd")] == [1, 1, 0]
    assert set(sim.control.counters()["callers"]) == {"127.0.0.2"}


async def test_proxy_outage_holds_then_reconciles(
    rig: tuple[Rig, CpSimulator], shield: ShieldProxy
) -> None:
    r, sim = rig
    shield.stop()
    try:
        await eventually(lambda: not r.gateway.connected, what="outage noticed")
        await r.send(r.order("held"))
        await eventually(lambda: OrderHeld in r.of("held"), what="order held")
        assert sim.state.venue.store.orders_with_ref("held") == 0
    finally:
        await shield.start()
    await eventually(lambda: OrderFilled in r.of("held"), what="held order sent after reconcile")
    assert r.of("held")[:1] == [OrderHeld] and OrderSubmitted in r.of("held")
    assert sim.state.venue.store.orders_with_ref("held") == 1


async def test_listing_by_exchange_and_currency_and_an_ambiguous_option_on_kafka(
    rig: tuple[Rig, CpSimulator],
) -> None:
    r, sim = rig
    sim.control.script_prompts([])
    await r.send(r.order("shop-cad", instrument=SHOP_CAD, quantity=Decimal(1)))
    await r.send(r.order("amb", instrument=AAPL_CALL_DEC, quantity=Decimal(1)))
    await eventually(lambda: OrderFilled in r.of("shop-cad"), what="the CAD listing filled")
    await eventually(lambda: OrderRejected in r.of("amb"), what="the ambiguous option rejected")

    [submitting] = [e for e in r.events if isinstance(e, OrderSubmitting)]
    assert submitting.contract is not None
    assert (submitting.con_id, submitting.contract.currency) == (SHOP_CAD_CON_ID, "CAD")
    [rejected] = [e for e in r.events if isinstance(e, OrderRejected)]
    assert rejected.reason_code == "AMBIGUOUS_INSTRUMENT"
    terms = [(c.last_trade_date_or_contract_month, c.strike, c.right) for c in rejected.candidates]
    assert terms == [("20261211", 200, "C"), ("20261218", 200, "C")]
    assert sim.state.venue.store.orders_with_ref("amb") == 0


async def test_quotes_and_fills_arrive_over_the_websocket(
    rig: tuple[Rig, CpSimulator], kafka_bootstrap: str
) -> None:
    r, sim = rig
    md_bus = make_bus("market-data", kafka_bootstrap)
    await md_bus.start()
    market_data = await start_market_data(md_bus)
    try:
        watch = await QuoteWatch().start(r.probe)
        await subscribe(r.probe)

        def move(mid: Decimal) -> None:
            sim.state.venue.quotes.set_mid(AAPL_CON_ID, mid)

        await warm_up(watch, move, fresh_mids(40, Decimal(300)))
        seconds = await latencies(watch, move, fresh_mids(5))
        # the functional bound, generous on a loaded machine (figures: bench quotes)
        assert max(seconds) < 1.0, seconds

        trades = "GET /iserver/account/trades"
        trades_read = sim.control.counters()["endpoints"].get(trades, 0)
        await r.send(r.order("ws-fill"))
        await eventually(lambda: OrderFilled in r.of("ws-fill"), what="a fill from the stream")
        counters = sim.control.counters()
        assert "GET /iserver/marketdata/snapshot" not in counters["endpoints"]
        assert counters["endpoints"].get(trades, 0) == trades_read  # pushed, not read
        assert r.of("ws-fill").count(OrderFilled) == 1
    finally:
        await market_data.stop()
        await md_bus.stop()


async def test_an_amend_moves_a_resting_limit_under_its_order_id_and_a_late_one_is_refused(
    rig: tuple[Rig, CpSimulator],
) -> None:
    """Must show, REST path: IBKR's modify endpoint moves the price of the same order (one
    broker order); an amend racing a fill is refused by IBKR and reported."""
    r, sim = rig
    await r.send(r.order("rest-amend", order_type="LMT", limit_price=Decimal(100)))  # o163
    await eventually(lambda: OrderAccepted in r.of("rest-amend"), what="limit order working")
    [ack] = [e for e in r.events if isinstance(e, OrderSubmitted)]
    await r.send(amend("rest-amend", 1, limit_price=Decimal(101), account=r.account))
    await eventually(lambda: OrderAmended in r.of("rest-amend"), what="amended")
    [held] = at_venue(sim.state.venue, "rest-amend")
    assert (str(held.perm_id), held.spec.limit_price) == (ack.broker_order_id, Decimal(101))

    sim.state.venue.quotes.set_mid(AAPL_CON_ID, Decimal(90))  # fills at IBKR, maybe unseen yet
    await r.send(amend("rest-amend", 2, limit_price=Decimal(89), account=r.account))
    await eventually(lambda: OrderAmendRejected in r.of("rest-amend"), what="amend refused")
    await eventually(lambda: OrderFilled in r.of("rest-amend"), what="filled")
    [refused] = [e for e in r.events if isinstance(e, OrderAmendRejected)]
    assert refused.revision == 2 and refused.rejected_by in ("broker", "router")
    assert len(at_venue(sim.state.venue, "rest-amend")) == 1
    assert sim.state.venue.store.orders_with_ref("rest-amend") == 1
