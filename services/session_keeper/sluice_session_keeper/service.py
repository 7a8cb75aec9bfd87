"""The session-keeper component: every instance keeps hot state, the lease holder acts.

Reports are read from the start of ``sluice.session.reports.v1`` in a group of this process
alone, so every instance (active or passive) rebuilds each account's session from the whole
log and a standby can take over with the same view. An instance acts for an account once it
has read back its own ``KeeperMark`` (it has applied every earlier report) and holds the lease
(``adapters.lease``). One task publishes everything, so verdicts leave in the order decided.
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
from sluice_session_keeper.adapters.lease import AccountLeases
from sluice_session_keeper.domain import KeeperPolicy, ResetCalendar, SessionMachine

log = logging.getLogger(__name__)

LEASE_GROUP = "session-keeper.lease"


class SessionKeeper:
    """Decides, per account, whether trading is allowed, and keeps the IBKR session alive.

    It keeps the ``accounts`` given, or, when none is, every account the router reports on.
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
        self.caught_up: set[str] = set()
        self.active: set[str] = set()
        self.leases = AccountLeases(lease_ttl_s, monotonic)
        self.clock = clock
        self._tick_s = tick_s
        self._wake = asyncio.Event()
        self._consumers: list[Consumer] = []
        self._task: asyncio.Task[None] | None = None
        for account in accounts:
            self.machine(account)
        self._adopts = not self.machines  # no account configured: keep every one that reports

    def machine(self, account: str) -> SessionMachine:
        """The account's state machine, created on first mention."""
        if account not in self.machines:
            self.machines[account] = SessionMachine(
                account, self.policy, self.calendar, self.clock()
            )
        return self.machines[account]

    async def start(self) -> None:
        """Join both groups on the reports topic and start the timer."""
        hot = ConsumerOptions(from_beginning=True)
        self._consumers = [
            await self.bus.consume(
                [SESSION_REPORTS],
                group=f"session-keeper.{self.instance_id}",
                handler=self._on_report,
                options=hot,
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
        """Ready once every known account's reports have been read up to now."""
        behind = sorted(set(self.machines) - self.caught_up)
        if behind:
            return False, f"catching up on session reports of {', '.join(behind)}"
        role = f"active for {sorted(self.active)}" if self.active else "passive"
        return True, role

    async def _on_report(self, message: Message[Any]) -> HandlerResult:
        event = message.event
        if event.account not in self.machines and not self._adopts:
            return None
        if isinstance(event, KeeperMark):
            if event.instance_id == self.instance_id and event.account not in self.caught_up:
                self.caught_up.add(event.account)
                log.info("caught up on the session reports of %s", event.account)
        else:
            self.machine(event.account).apply(event, self.clock())
        self._wake.set()
        return None

    async def _on_lease(self, message: Message[Any]) -> HandlerResult:
        self.leases.seen(message.event.account)
        return None

    async def _run(self) -> None:
        next_mark = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._tick_s)
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
            if account not in self.caught_up or not self.leases.holds(account):
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
