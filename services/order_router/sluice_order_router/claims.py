"""The router's claims on its accounts, on ``sluice.router.claims.v1``.

``claim`` replays the topic (``Bus.replay``) and refuses every account another live router
holds; it then writes its own claims and reads the topic again, so that of two routers starting
at once neither keeps an account the other also wrote (both give it up; they are started
again one after the other). ``renew`` runs with every heartbeat; ``release`` on a clean stop,
so a successor need not wait for the lease to lapse. A renewal that comes later than the lease
(the bus was out of reach) first looks again: an account another router claimed meanwhile is
given up (``on_lost``), never shared.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from sluice_bus import Bus
from sluice_order_router.domain.claims import ClaimBook
from sluice_proto import utc_now
from sluice_proto.session import AccountClaim
from sluice_proto.topics import ROUTER_CLAIMS


class AccountClaims:
    """This router's claims: which accounts it holds, written and renewed on the bus."""

    def __init__(
        self,
        bus: Bus,
        router_id: str,
        instance_id: str,
        lease_s: float,
        on_lost: Callable[[dict[str, AccountClaim]], None] = lambda _: None,
    ) -> None:
        """``on_lost``: told the accounts another router claimed while this one's lease had
        lapsed (they are no longer held)."""
        self._bus = bus
        self.router_id = router_id
        self._instance_id = instance_id
        self._lease_s = lease_s
        self._on_lost = on_lost
        self._renewed = time.monotonic()
        self.held: set[str] = set()
        self.earlier: set[str] = set()
        """Every account this router id claimed before (found by ``claim``'s replay)."""

    async def claim(self, accounts: Iterable[str]) -> dict[str, AccountClaim]:
        """Claim ``accounts``; the ones another live router holds (not claimed), with its claim."""
        wanted = set(accounts) - self.held
        conflicts = await self._conflicts(wanted)
        free = wanted - set(conflicts)
        await self._write(free)
        self._renewed = time.monotonic()
        late = await self._conflicts(free)  # another router wrote one meanwhile: both give up
        await self._write(late, released=True)
        self.held |= free - set(late)
        return {**conflicts, **late}

    async def renew(self) -> None:
        """Extend the lease of every account held (run with every heartbeat; written a third
        of the lease after the last renewal, so the topic grows slowly)."""
        since = time.monotonic() - self._renewed
        if since < self._lease_s / 3:
            return
        if since >= self._lease_s:
            lost = await self._conflicts(self.held)
            if lost:
                self.held -= set(lost)
                self._on_lost(lost)
        await self._write(self.held)
        self._renewed = time.monotonic()

    async def release(self) -> None:
        """Give every account up at once (a clean stop)."""
        await self._write(self.held, released=True)
        self.held.clear()

    async def _conflicts(self, accounts: set[str]) -> dict[str, AccountClaim]:
        if not accounts:
            return {}
        book = ClaimBook()
        async for message in self._bus.replay([ROUTER_CLAIMS]):
            if isinstance(message.event, AccountClaim):
                book.fold(message.event)
        self.earlier |= book.accounts_of(self.router_id)
        return book.conflicts(accounts, self.router_id, utc_now())

    async def _write(self, accounts: Iterable[str], *, released: bool = False) -> None:
        for account in sorted(accounts):
            claim = AccountClaim(
                account=account, router_id=self.router_id, instance_id=self._instance_id,
                lease_s=self._lease_s, released=released,
            )  # fmt: skip
            await self._bus.publish(ROUTER_CLAIMS, claim, key=account)
