"""The risk service on the bus: restore state, then decide signals, each batch atomically.

One consumer (the decision stream) takes signals, order events and control commands; each
record's decisions and the changelog records of the state it changed become durable with its
offset: through the bus's outbox (``SLUICE_RISK_COMMIT=outbox``, the default; settled before
the restore after a crash) or in one Kafka transaction per batch (``transaction``). Quotes and
session verdicts only update state; they come through a plain consumer, since replaying them
is harmless.

Deferred signals (waiting for a first quote, or parked through a session gap) are decided in
the decision stream too: when one is ready (its quote came, trading resumed, a deadline
passed) a small loop publishes a ``DeferralCheck`` for its account to the internal
``sluice.risk.deferrals.v1``, which that stream consumes. Decisions therefore never leave
outside the stream's batches, and a restart resumes every wait from the changelog.

The broker's truth (``sluice.broker.truth.v1``) and an operator's ``AcceptBroker`` go through
the decision stream too: a drift halt, and the book adopted from the broker, are written
with the offset that caused them, so a restart keeps both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, Literal

from pydantic import SecretStr

from sluice_bus import Bus, Consumer, ConsumerOptions, Message, Outgoing
from sluice_proto import (
    AcceptBroker,
    AmendOrder,
    ApprovedOrder,
    BrokerPnl,
    BrokerTruth,
    CancelAll,
    CancelOrder,
    CancelRequest,
    Instrument,
    KillSwitch,
    MdSubscribe,
    MdSubscriptionRejected,
    MdUnsubscribe,
    ModifyRequest,
    Quote,
    Resume,
    Signal,
    utc_now,
)
from sluice_proto.orders import OrderEvent
from sluice_proto.risk_state import (
    DeferralCheck,
    PositionState,
    RiskAccountState,
    RiskOrderState,
)
from sluice_proto.session import SessionState
from sluice_proto.topics import (
    BROKER_TRUTH,
    CONTROL,
    MD_QUOTES,
    MD_SUBSCRIPTIONS,
    ORDERS_APPROVED,
    ORDERS_EVENTS,
    RISK_DEFERRALS,
    RISK_OUTBOX,
    RISK_STATE,
    SESSION_STATE,
    SIGNALS,
)
from sluice_risk.domain.changelog import Changelog, restore
from sluice_risk.domain.engine import AwaitingQuote, Decision, RiskEngine
from sluice_risk.metrics import RiskMetrics
from sluice_runtime.waking import woken

log = logging.getLogger(__name__)

SUBSCRIBER_ID = "risk"
"""Risk's own subscriber id on ``sluice.md.subscriptions.v1``."""
RETRY_S = 0.5
"""Pause before asking again when a ``DeferralCheck`` could not be published."""
QUOTE_SWEEP_S = 10.0
"""How often risk looks for subscriptions it has not needed for ``SLUICE_RISK_QUOTE_IDLE_S``."""

Clock = Callable[[], datetime]
Commit = Literal["outbox", "transaction"]
"""How the decision stream's batches become durable (``SLUICE_RISK_COMMIT``)."""
Decide = Callable[[Any, datetime], list[Outgoing]]
"""What the decision stream does with one event type at time ``now``."""
Apply = Callable[[Any], None]
"""How one event type changes the state, with nothing to publish."""


class RiskService:
    """The risk ``Component``: not ready until the state is back from the topics."""

    name = "risk"

    def __init__(
        self,
        bus: Bus,
        engine: RiskEngine,
        changelog: Changelog,
        *,
        group: str,
        admin_token: SecretStr | None,
        start_at_earliest: bool = True,
        clock: Clock = utc_now,
        commit: Commit = "outbox",
    ) -> None:
        self.bus = bus
        self.engine = engine
        self.state = engine.state
        self.metrics = RiskMetrics(self.state)
        self.admin_token = admin_token
        self.clock = clock
        self._changelog = changelog
        self._group = group
        self._start_at_earliest = start_at_earliest
        self._commit = commit
        self._consumers: list[Consumer] = []
        self._ready = False
        self._poke = asyncio.Event()
        self._asked: set[str] = set()
        """Accounts with a ``DeferralCheck`` on its way (one at a time per account)."""
        self._waker: asyncio.Task[None] | None = None
        self.quote_sweep_s = QUOTE_SWEEP_S
        self._sweeper: asyncio.Task[None] | None = None
        # Event type -> handler, one table per stream. An event type a table does not name is
        # skipped, except on the decision stream: there it is an order lifecycle event.
        changelog_record = partial(restore, self.state)
        self._restorers: dict[type[Any], Apply] = {
            PositionState: changelog_record,
            RiskOrderState: changelog_record,
            RiskAccountState: changelog_record,
            SessionState: self.state.on_session,
            BrokerTruth: self.state.broker.restore,
        }
        self._deciders: dict[type[Any], Decide] = {
            Signal: self._judge,
            CancelRequest: self._judge,
            ModifyRequest: self._judge,
            KillSwitch: self._control,
            Resume: self._control,
            DeferralCheck: self._revisit,
            # in the batch: a drift halt and an adopted book are changelog records
            BrokerTruth: self._apply(self.state.on_truth),
            AcceptBroker: self._apply(self.state.on_accept),
            BrokerPnl: _nothing,  # the broker's own PnL is for people (sluice pnl --broker)
        }
        self._feeds: dict[type[Any], Apply] = {
            Quote: self.state.on_quote,
            SessionState: self.state.on_session,
            MdSubscriptionRejected: self.state.on_refusal,
        }

    async def start(self) -> None:
        """Settle the outbox, restore the state from the topics, then start deciding."""
        if self._commit == "outbox":  # a crashed batch's changelog goes out before the restore
            await self.bus.settle_outbox(self._group, RISK_OUTBOX)
        restored = 0
        async for message in self.bus.replay([RISK_STATE, SESSION_STATE, BROKER_TRUTH]):
            event = message.event
            apply = self._restorers.get(type(event))
            if apply is not None:
                apply(event)
            restored += 1
        log.info(
            "risk state restored from %d records (%d orders)", restored, len(self.state.orders)
        )
        await self._resume_quotes()
        decide = ConsumerOptions(
            transactional=self._commit == "transaction",
            outbox=RISK_OUTBOX if self._commit == "outbox" else None,
            max_attempts=1,
            from_beginning=self._start_at_earliest,
        )
        self._consumers = [
            await self.bus.consume(
                [SIGNALS, ORDERS_EVENTS, CONTROL, RISK_DEFERRALS, BROKER_TRUTH],
                group=self._group,
                handler=self.decide,
                options=decide,
            ),
            await self.bus.consume(
                [MD_QUOTES, SESSION_STATE], group=f"{self._group}.feeds", handler=self.feed
            ),
        ]
        self._waker = asyncio.create_task(self._wake_deferrals(), name="risk-deferrals")
        self._sweeper = asyncio.create_task(self._release_idle_quotes(), name="risk-quotes")
        self._ready = True

    async def stop(self) -> None:
        """Stop deciding; the bus commits what was handled."""
        self._ready = False
        for task in (self._waker, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._waker = self._sweeper = None
        for consumer in self._consumers:
            await consumer.stop()
        self._consumers.clear()

    def readiness(self) -> tuple[bool, str]:
        return (True, "deciding") if self._ready else (False, "restoring risk state")

    async def decide(self, message: Message[Any]) -> list[Outgoing]:
        """One record of the decision stream: its decisions plus the changelog."""
        event, now = message.event, self.clock()
        outputs = self._deciders.get(type(event), self._follow)(event, now)
        self.metrics.decided(outputs)
        wanted = self.state.changes.subscriptions
        outputs.extend(
            Outgoing(
                MD_SUBSCRIPTIONS, MdSubscribe(subscriber_id=SUBSCRIBER_ID, instrument=i), i.key
            )
            for i in wanted
        )
        wanted.clear()
        outputs.extend(Outgoing(RISK_STATE, r, key) for key, r in self._changelog.drain(now))
        if self.state.deferrals:
            self._poke.set()  # a new deadline, or a check answered
        return outputs

    async def feed(self, message: Message[Any]) -> None:
        """Quotes and session verdicts: state only, no decision (deferred signals may be due)."""
        apply = self._feeds.get(type(message.event))
        if apply is not None:
            apply(message.event)
            if self.state.deferrals:
                self._poke.set()

    def _judge(
        self, request: Signal | CancelRequest | ModifyRequest, now: datetime
    ) -> list[Outgoing]:
        """A signal, a cancel or a modify request: the engine's decision, routed."""
        return _routed([self.engine.decide(request, now)])

    def _revisit(self, check: DeferralCheck, now: datetime) -> list[Outgoing]:
        """Decide the account's deferred signals that are ready."""
        self._asked.discard(check.account)
        return _routed(self.engine.revisit(check.account, now))

    def _control(self, command: KillSwitch | Resume, now: datetime) -> list[Outgoing]:
        """A kill switch cancels every working order of the accounts it stops and refuses
        their parked signals (a kill is not a session gap)."""
        reason = f"kill switch by {command.operator}: {command.reason}".rstrip(": ")
        outputs: list[Outgoing] = []
        for account in self.state.on_control(command):
            cancel_all = CancelAll(account=account, reason=reason, requested_at=now)
            outputs.append(Outgoing(ORDERS_APPROVED, cancel_all, account))
            outputs.extend(_routed(self.engine.revisit(account, now)))
        return outputs

    async def _wake_deferrals(self) -> None:
        """Ask the decision stream to look at an account's deferred signals once one is ready."""
        while True:
            deadline = self.state.deferrals.next_deadline(skip=self._asked)
            timeout = None
            if deadline is not None:
                timeout = max((deadline - self.clock()).total_seconds(), 0.0) + 0.001
            await woken(self._poke, timeout)
            self._poke.clear()
            now = self.clock()
            for account in sorted(self.engine.ready_accounts(now) - self._asked):
                self._asked.add(account)  # before the await: the check may be handled during it
                try:
                    await self.bus.publish(
                        RISK_DEFERRALS, DeferralCheck(account=account, ts=now), key=account
                    )
                except Exception:
                    self._asked.discard(account)
                    log.exception("could not ask to revisit the deferred signals of %s", account)
                    await asyncio.sleep(RETRY_S)
                    self._poke.set()

    async def _resume_quotes(self) -> None:
        """Subscribe again to what the restored state needs, and unsubscribe every other
        instrument risk knows of: what it subscribed before the restart is not leaked
        (unsubscribing what is not subscribed changes nothing at market-data)."""
        released = self.state.resume_quotes(self.clock())
        wanted = list(self.state.changes.subscriptions)
        self.state.changes.subscriptions.clear()
        for instrument in wanted:
            subscribe = MdSubscribe(subscriber_id=SUBSCRIBER_ID, instrument=instrument)
            await self.bus.publish(MD_SUBSCRIPTIONS, subscribe, key=instrument.key)
        for instrument in released:
            await self._unsubscribe(instrument)
        log.info("quotes after restore: %d subscribed, %d released", len(wanted), len(released))

    async def _release_idle_quotes(self) -> None:
        """Unsubscribe the quotes no signal, position or working order needed for the idle
        period (each holds one of the account's market-data lines)."""
        while True:
            await asyncio.sleep(self.quote_sweep_s)
            now = self.clock()
            for instrument in self.state.release_idle_quotes(now):
                try:
                    await self._unsubscribe(instrument)
                except Exception:
                    self.state.lines.hold(instrument, now)  # try again after another idle period
                    log.exception("could not unsubscribe the quotes of %s", instrument.key)

    async def _unsubscribe(self, instrument: Instrument) -> None:
        unsubscribe = MdUnsubscribe(subscriber_id=SUBSCRIBER_ID, instrument=instrument)
        await self.bus.publish(MD_SUBSCRIPTIONS, unsubscribe, key=instrument.key)

    @staticmethod
    def _apply(apply: Apply) -> Decide:
        """A decider for an event that only changes the state (its changelog follows)."""

        def decide(event: Any, now: datetime) -> list[Outgoing]:
            apply(event)
            return []

        return decide

    def _follow(self, event: OrderEvent, now: datetime) -> list[Outgoing]:
        """An order lifecycle event: state only."""
        self.state.on_order_event(event)
        return []


def _nothing(_: BrokerPnl, __: datetime) -> list[Outgoing]:
    return []


_TOPIC_OF: dict[type[Any], str] = dict.fromkeys(
    (ApprovedOrder, CancelOrder, AmendOrder), ORDERS_APPROVED
)
"""Commands go to the router's topic; refusals and duplicates go to the lifecycle topic."""


def _routed(decisions: list[Decision]) -> list[Outgoing]:
    """The decisions on their topics, keyed by account (a wait for a quote publishes nothing)."""
    return [
        Outgoing(_TOPIC_OF.get(type(d), ORDERS_EVENTS), d, d.account or None)
        for d in decisions
        if not isinstance(d, AwaitingQuote)
    ]
