"""The risk service on the bus: restore state, then decide signals in Kafka transactions.

One transactional consumer takes signals, order events and control commands; each record's
decisions and the changelog records of the state it changed are published in the same
transaction as its offset. Quotes and session verdicts only update state; they come through
a plain consumer, since replaying them is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from pydantic import SecretStr

from sluice_bus import Bus, Consumer, ConsumerOptions, Message, Outgoing
from sluice_proto import (
    ApprovedOrder,
    CancelAll,
    CancelOrder,
    CancelRequest,
    KillSwitch,
    Quote,
    Resume,
    Signal,
    utc_now,
)
from sluice_proto.orders import OrderEvent
from sluice_proto.risk_state import PositionState, RiskAccountState, RiskOrderState
from sluice_proto.session import SessionState
from sluice_proto.topics import (
    CONTROL,
    MD_QUOTES,
    ORDERS_APPROVED,
    ORDERS_EVENTS,
    RISK_STATE,
    SESSION_STATE,
    SIGNALS,
)
from sluice_risk.domain.changelog import Changelog, restore
from sluice_risk.domain.engine import Decision, RiskEngine

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Decide = Callable[[Any, datetime], list[Outgoing]]
"""What the transactional stream does with one event type at time ``now``."""
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
        clock: Clock = utc_now,
    ) -> None:
        self.bus = bus
        self.engine = engine
        self.state = engine.state
        self.admin_token = admin_token
        self.clock = clock
        self._changelog = changelog
        self._group = group
        self._consumers: list[Consumer] = []
        self._ready = False
        # Event type -> handler, one table per stream. An event type a table does not name is
        # skipped, except on the decision stream: there it is an order lifecycle event.
        changelog_record = partial(restore, self.state)
        self._restorers: dict[type[Any], Apply] = {
            PositionState: changelog_record,
            RiskOrderState: changelog_record,
            RiskAccountState: changelog_record,
            SessionState: self.state.on_session,
        }
        self._deciders: dict[type[Any], Decide] = {
            Signal: self._judge,
            CancelRequest: self._judge,
            KillSwitch: self._control,
            Resume: self._control,
        }
        self._feeds: dict[type[Any], Apply] = {
            Quote: self.state.on_quote,
            SessionState: self.state.on_session,
        }

    async def start(self) -> None:
        """Restore the state from the topics, then start deciding."""
        restored = 0
        async for message in self.bus.replay([RISK_STATE, SESSION_STATE]):
            event = message.event
            apply = self._restorers.get(type(event))
            if apply is not None:
                apply(event)
            restored += 1
        log.info(
            "risk state restored from %d records (%d orders)", restored, len(self.state.orders)
        )
        decide = ConsumerOptions(transactional=True, max_attempts=1)
        self._consumers = [
            await self.bus.consume(
                [SIGNALS, ORDERS_EVENTS, CONTROL],
                group=self._group,
                handler=self.decide,
                options=decide,
            ),
            await self.bus.consume(
                [MD_QUOTES, SESSION_STATE], group=f"{self._group}.feeds", handler=self.feed
            ),
        ]
        self._ready = True

    async def stop(self) -> None:
        """Stop deciding; the bus commits what was handled."""
        self._ready = False
        for consumer in self._consumers:
            await consumer.stop()
        self._consumers.clear()

    def readiness(self) -> tuple[bool, str]:
        return (True, "deciding") if self._ready else (False, "restoring risk state")

    async def decide(self, message: Message[Any]) -> list[Outgoing]:
        """One record of the transactional stream: its decisions plus the changelog."""
        event, now = message.event, self.clock()
        outputs = self._deciders.get(type(event), self._follow)(event, now)
        outputs.extend(Outgoing(RISK_STATE, r, key) for key, r in self._changelog.drain(now))
        return outputs

    async def feed(self, message: Message[Any]) -> None:
        """Quotes and session verdicts: state only, no decision."""
        apply = self._feeds.get(type(message.event))
        if apply is not None:
            apply(message.event)

    def _judge(self, request: Signal | CancelRequest, now: datetime) -> list[Outgoing]:
        """A signal or a cancel request: the engine's decision, routed."""
        return [_routed(self.engine.decide(request, now))]

    def _control(self, command: KillSwitch | Resume, now: datetime) -> list[Outgoing]:
        """A kill switch cancels every working order of the accounts it stops."""
        reason = f"kill switch by {command.operator}: {command.reason}".rstrip(": ")
        return [
            Outgoing(ORDERS_APPROVED, CancelAll(account=a, reason=reason, requested_at=now), a)
            for a in self.state.on_control(command)
        ]

    def _follow(self, event: OrderEvent, now: datetime) -> list[Outgoing]:
        """An order lifecycle event: state only."""
        self.state.on_order_event(event)
        return []


_TOPIC_OF: dict[type[Any], str] = {ApprovedOrder: ORDERS_APPROVED, CancelOrder: ORDERS_APPROVED}
"""Commands go to the router's topic; refusals and duplicates go to the lifecycle topic."""


def _routed(decision: Decision) -> Outgoing:
    """The decision on its topic, keyed by account."""
    return Outgoing(
        _TOPIC_OF.get(type(decision), ORDERS_EVENTS), decision, decision.account or None
    )
