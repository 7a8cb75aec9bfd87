"""The session-keeper component: every instance keeps hot state, the lease holder acts.

On start every instance (active or passive) replays ``sluice.session.reports.v1`` to its end
(``Bus.replay``), rebuilding each account's session from the whole log, then follows the topic
from exactly there in a group of this process alone, so a standby can take over with the same
view. Only then does it act, for the accounts whose lease it holds (``adapters.lease``). One
task publishes everything, so verdicts leave in the order decided.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sluice_bus.api import Bus, Consumer, ConsumerOptions, HandlerResult, Message
from sluice_proto.common import utc_now
from sluice_proto.session import KeeperMark
from sluice_proto.topics import SESSION_COMMANDS, SESSION_REPORTS, SESSION_STATE
from sluice_runtime.waking import woken
from sluice_session_keeper.adapters.lease import AccountLeases
from sluice_session_keeper.domain import KeeperPolicy, ResetCalendar, SessionMachine

log = logging.getLogger(__name__)

LEASE_GROUP = "session-keeper.lease"


class SessionKeeper:
    """Decides, per account, whether trading is allowed, and keeps the IBKR session alive.

    It keeps the ``accounts`` given from the start, and every other account a router reports on.
    """

    name = "session-keeper"

    def __init__(
        self,
        bus: Bus,
        policy: KeeperPolicy,
        calendar: ResetCalendar,
        *,
        accounts: Iterable[str] = (),
        tick_s: float = 1.0,
        lease_ttl_s: float = 3.0,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus = bus
        self.policy = policy
        self.calendar = calendar
        self.instance_id = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.machines: dict[str, SessionMachine] = {}
        self.active: set[str] = set()
        self.leases = AccountLeases(lease_ttl_s, monotonic)
        self.clock = clock
        self._tick_s = tick_s
        self._wake = asyncio.Event()
        self._consumers: list[Consumer] = []
        self._task: asyncio.Task[None] | None = None
        for account in accounts:  # kept from the start: a router that never reports is silent
            self.machine(account)

    def machine(self, account: str) -> SessionMachine:
        """The account's state machine, created on first mention."""
        if account not in self.machines:
            self.machines[account] = SessionMachine(
                account, self.policy, self.calendar, self.clock()
            )
        return self.machines[account]

    async def start(self) -> None:
        """Replay the reports, join both groups on the topic and start the timer."""
        until = await self.bus.end_offsets([SESSION_REPORTS])
        replayed = 0
        async for message in self.bus.replay([SESSION_REPORTS], until=until):
            replayed += 1
            self._apply(message, live=False)
        now = self.clock()
        for machine in self.machines.values():
            machine.replayed(now)
        log.info("replayed %d session reports of %d accounts", replayed, len(self.machines))
        self._consumers = [
            await self.bus.consume(
                [SESSION_REPORTS],
                group=f"session-keeper.{self.instance_id}",
                handler=self._on_report,
                options=ConsumerOptions(start_at=until),
            ),
            await self.bus.consume(
                [SESSION_REPORTS],
                group=LEASE_GROUP,
                handler=self._on_lease,
                options=ConsumerOptions(from_beginning=False),
            ),
        ]
        self._task = asyncio.create_task(self._run(), name="session-keeper-timer")

    async def stop(self) -> None:
        """Stop acting, then leave both groups (a standby takes the lease over)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for consumer in self._consumers:
            await consumer.stop()
        self.active.clear()

    def readiness(self) -> tuple[bool, str]:
        """Ready once started (``start`` returns after the replay); says which role it has."""
        role = f"active for {sorted(self.active)}" if self.active else "passive"
        return True, role

    async def _on_report(self, message: Message[Any]) -> HandlerResult:
        self._apply(message, live=True)
        self._wake.set()
        return None

    def _apply(self, message: Message[Any], *, live: bool) -> None:
        event = message.event
        if isinstance(event, KeeperMark):  # the keepers' lease heartbeat, not a report
            return
        self.machine(event.account).apply(event, self.clock(), live=live)

    async def _on_lease(self, message: Message[Any]) -> HandlerResult:
        self.leases.seen(message.event.account)
        return None

    async def _run(self) -> None:
        next_mark = 0.0
        while True:
            await woken(self._wake, self._tick_s)
            self._wake.clear()
            try:
                if time.monotonic() >= next_mark:
                    next_mark = time.monotonic() + self._tick_s
                    await self._heartbeat()
                await self._step()
            except Exception:  # the bus is down: keep the timer alive and try again
                log.exception("session-keeper step failed")

    async def _heartbeat(self) -> None:
        for account in list(self.machines):
            mark = KeeperMark(account=account, instance_id=self.instance_id)
            await self.bus.publish(SESSION_REPORTS, mark, key=account)

    async def _step(self) -> None:
        now = self.clock()
        for account, machine in list(self.machines.items()):
            if not self.leases.holds(account):
                if account in self.active:
                    self.active.discard(account)
                    log.warning("lost the lease of %s: passive", account)
                continue
            if account not in self.active:
                self.active.add(account)
                machine.activate(now)
                log.info("active session keeper of %s", account)
            step = machine.tick(now)
            if step.state is not None:
                try:
                    await self.bus.publish(SESSION_STATE, step.state, key=account)
                except Exception:
                    machine.publication_failed()
                    raise
            for command in step.commands:
                await self.bus.publish(SESSION_COMMANDS, command, key=account)
