"""On the real broker: one decision per signal across a restart of the risk service, and
across a crash inside a batch of its outbox (``SLUICE_RISK_COMMIT=outbox``)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from sluice_bus import Bus, make_bus
from sluice_proto import ApprovedOrder, SignalDuplicate, utc_now
from sluice_proto.common import client_order_id
from sluice_proto.topics import ORDERS_APPROVED, ORDERS_EVENTS, SESSION_STATE, SIGNALS
from sluice_risk.bootstrap import build
from sluice_risk.service import RiskService
from tests.risk.factories import fill_event, session, signal
from tests.risk.service_support import settings
from tests.support.collect import Collector
from tests.support.outbox_faults import commit_hangs, of_topic, of_type, outputs_lost
from tests.support.polling import eventually

pytestmark = pytest.mark.kafka


async def risk_service(
    bootstrap: str, account: str, group: str, commit: str = "outbox"
) -> RiskService:
    """A risk process of its own: a fresh bus, state restored from the topics."""
    bus = make_bus("risk", bootstrap)
    await bus.start()
    env = {
        "SLUICE_KAFKA_BOOTSTRAP": bootstrap,
        "SLUICE_RISK_DEFAULT_ACCOUNT": account,
        "SLUICE_RISK_GROUP": group,
        "SLUICE_RISK_COMMIT": commit,
        # Other tests' older signals on the shared topic are refused as too old.
        "SLUICE_RISK_LIMITS": {"require_quote_for_limit": False, "max_signal_age_s": 15},
    }
    service = build(settings(**env), bus).component
    await service.start()
    return service


async def stop(service: RiskService) -> None:
    await service.stop()
    await service.bus.stop()


@pytest.mark.parametrize("commit", ["outbox", "transaction"])
async def test_a_restart_never_decides_a_signal_twice(kafka_bootstrap: str, commit: str) -> None:
    run = uuid.uuid4().hex[:8]
    account, strategy, group = f"DU{run}", f"strat-{run}", f"risk-{run}"
    tester = make_bus(f"tester-{run}", kafka_bootstrap)
    await tester.start()
    seen = await Collector().start(tester, [ORDERS_APPROVED, ORDERS_EVENTS], f"seen-{run}")

    # Other tests' signals on the shared topic may default to this run's account too:
    # count this run's strategy only.
    def approvals() -> list[ApprovedOrder]:
        found = seen.events(ORDERS_APPROVED, key=account, kind=ApprovedOrder)
        return [order for order in found if order.strategy_id == strategy]

    def duplicates() -> list[SignalDuplicate]:
        found = seen.events(ORDERS_EVENTS, key=account, kind=SignalDuplicate)
        return [event for event in found if event.strategy_id == strategy]

    async def publish(*signal_ids: str) -> None:
        for signal_id in signal_ids:
            # A symbol of this run's own: quotes other tests left on the topic must not apply.
            fresh = signal(
                signal_id, strategy_id=strategy, symbol=f"T{run}".upper(), created_at=utc_now()
            )
            await tester.publish(SIGNALS, fresh, key=strategy)

    await tester.publish(SESSION_STATE, session(account=account, ts=utc_now()), key=account)
    first = await risk_service(kafka_bootstrap, account, group, commit)
    try:
        await eventually(lambda: first.state.market.session(account) is not None, what="session")
        await publish(*(f"s{n}" for n in range(5)))
        await eventually(lambda: len(approvals()) == 5, what="five approvals")
    finally:
        await stop(first)

    # Replayed signals and new ones, decided by a fresh process restored from the topics.
    await publish(*(f"s{n}" for n in range(5)), "s5", "s6")
    second = await risk_service(kafka_bootstrap, account, group, commit)
    try:
        # The topics are shared with other tests: look for this run's five orders only.
        restored = [second.state.orders.get(client_order_id(strategy, f"s{n}")) for n in range(5)]
        assert all(order is not None and order.account == account for order in restored)
        await eventually(lambda: len(approvals()) == 7 and len(duplicates()) == 5, what="decided")
    finally:
        await stop(second)
        await tester.stop()
    ids = [order.client_order_id for order in approvals()]
    assert len(set(ids)) == 7
    assert {d.signal_id for d in duplicates()} == {f"s{n}" for n in range(5)}
    assert all(order.quantity == Decimal(10) for order in approvals())


def open_orders(service: RiskService, run: Run, *signal_ids: str) -> bool:
    """The service holds each signal's order, open."""
    orders = [service.state.orders.get(run.order_id(signal_id)) for signal_id in signal_ids]
    return all(order is not None and order.status == "open" for order in orders)


def any_signal(offsets: Any) -> bool:
    """A commit that moves the group on the signals topic."""
    return any(tp.topic == SIGNALS for tp in offsets or {})


async def crash(service: RiskService) -> None:
    """What a ``kill -9`` leaves: the decision stream stops where it is, nothing committed."""
    for consumer in service._consumers:
        await consumer.abort()
    await stop(service)


@dataclass
class Run:
    """One test's account, strategy and group on the shared broker, and what it saw."""

    bootstrap: str
    tester: Bus
    seen: Collector
    account: str
    strategy: str
    group: str

    def approvals(self) -> list[ApprovedOrder]:
        found = self.seen.events(ORDERS_APPROVED, key=self.account, kind=ApprovedOrder)
        return [order for order in found if order.strategy_id == self.strategy]

    def duplicates(self) -> list[str]:
        found = self.seen.events(ORDERS_EVENTS, key=self.account, kind=SignalDuplicate)
        return [event.signal_id for event in found if event.strategy_id == self.strategy]

    def order_id(self, signal_id: str) -> str:
        return client_order_id(self.strategy, signal_id)

    async def publish(self, *signal_ids: str) -> None:
        for signal_id in signal_ids:
            fresh = signal(
                signal_id,
                strategy_id=self.strategy,
                symbol=f"T{self.group}".upper(),
                created_at=utc_now(),
            )
            await self.tester.publish(SIGNALS, fresh, key=self.strategy)

    async def risk(self) -> RiskService:
        return await risk_service(self.bootstrap, self.account, self.group)

    async def settled(self) -> None:
        """Wait until everything published before is decided: s0 once more is a duplicate,
        published after the rest on the same partition."""
        before = self.duplicates().count("s0")
        await self.publish("s0")
        await eventually(lambda: self.duplicates().count("s0") > before, what="the sentinel")


@contextlib.asynccontextmanager
async def warm_run(bootstrap: str) -> Any:
    """A run whose risk has approved s0 and stopped cleanly."""
    run = uuid.uuid4().hex[:8]
    tester = make_bus(f"tester-{run}", bootstrap)
    await tester.start()
    seen = await Collector().start(tester, [ORDERS_APPROVED, ORDERS_EVENTS], f"seen-{run}")
    this = Run(bootstrap, tester, seen, f"DU{run}", f"strat-{run}", f"risk-{run}")
    try:
        await tester.publish(
            SESSION_STATE, session(account=this.account, ts=utc_now()), key=this.account
        )
        first = await this.risk()
        try:
            await eventually(lambda: first.state.market.session(this.account) is not None)
            await this.publish("s0")
            await eventually(lambda: len(this.approvals()) == 1, what="s0 approved")
        finally:
            await stop(first)
        yield this
    finally:
        await tester.stop()


async def crashed_batch(
    run: Run, fault: Callable[[], contextlib.AbstractContextManager[Any]]
) -> None:
    """s1-s3 published, then fetched by a risk that crashes at ``fault`` in the batch that
    holds s1 (s2 and s3 are most often in it too, but a fetch may split them off)."""
    await run.publish("s1", "s2", "s3")
    with fault() as reached:
        doomed = await run.risk()
        await eventually(reached.is_set, what="the crash point")
        await crash(doomed)


async def restart_settles_then_decides_the_rest(run: Run) -> None:
    """A fresh risk has s1's order (its batch's changelog settled before the restore), then
    decides s2 and s3."""
    fresh = await run.risk()
    try:
        assert open_orders(fresh, run, "s0", "s1")
        await run.settled()
        assert open_orders(fresh, run, "s0", "s1", "s2", "s3")
    finally:
        await stop(fresh)


async def test_a_crash_with_the_changelog_out_and_the_approvals_not_loses_no_approval(
    kafka_bootstrap: str,
) -> None:
    async with warm_run(kafka_bootstrap) as run:
        # the outbox record and the changelog are durable, the approvals never left
        await crashed_batch(run, lambda: outputs_lost(of_topic(ORDERS_APPROVED, run.account)))
        await restart_settles_then_decides_the_rest(run)
        ids = [order.client_order_id for order in run.approvals()]
        assert sorted(ids) == sorted(run.order_id(f"s{n}") for n in range(4))  # each once
        assert run.duplicates() == ["s0"]  # only the sentinel


async def test_a_crash_before_the_commit_decides_no_signal_twice(kafka_bootstrap: str) -> None:
    async with warm_run(kafka_bootstrap) as run:
        # every output of the batch is durable, its offsets are not committed
        # the first commit with a signal in it: the batch holding s1
        await crashed_batch(run, lambda: commit_hangs(run.group, when=any_signal))
        await restart_settles_then_decides_the_rest(run)
        copies: dict[str, list[ApprovedOrder]] = {}
        for order in run.approvals():
            copies.setdefault(order.client_order_id, []).append(order)
        # published again on settling: the same order, which the router takes once
        assert sorted(copies) == sorted(run.order_id(f"s{n}") for n in range(4))
        assert len(copies[run.order_id("s1")]) == 2  # the crashed batch, published again
        assert all(all(copy == c[0] for copy in c) for c in copies.values())
        assert run.duplicates() == ["s0"]  # no duplicate rejection for the redelivered signals


async def test_a_fill_in_a_crashed_batch_is_booked_once(kafka_bootstrap: str) -> None:
    async with warm_run(kafka_bootstrap) as run:
        order_id = run.order_id("s0")
        fill = msgspec.structs.replace(
            fill_event(order_id, "10", "100", final=True), account=run.account
        )
        await run.tester.publish(ORDERS_EVENTS, fill, key=run.account)
        # the order's changelog (filled 10) is durable, the position's is not
        with outputs_lost(of_type("position_state", run.account)) as reached:
            doomed = await run.risk()
            await eventually(reached.is_set, what="the crash point")
            await crash(doomed)
        fresh = await run.risk()
        try:
            order = fresh.state.orders.get(order_id)
            assert order is not None and order.filled_quantity == Decimal(10)

            def position() -> Decimal | None:
                held = fresh.state.portfolio.position(run.account, order.key)
                return None if held is None else held.quantity

            assert position() == Decimal(10)
            await run.settled()
            assert position() == Decimal(10)
        finally:
            await stop(fresh)
