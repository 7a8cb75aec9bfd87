"""The router's claims on its accounts, on ``sluice.router.claims.v1``.

``claim`` replays the topic (``Bus.replay``) and refuses every account another live router
holds; it then writes its own claims and reads the topic again, so that of two routers starting
at once neither keeps an account the other also wrote (both give it up; they are started
again one after the other). ``renew`` runs with every heartbeat; ``release`` on a clean stop,
so a successor need not wait for the lease to lapse.
"""

from __future__ import annotations

from collections.abc import Iterable

from sluice_bus import Bus
from sluice_order_router.domain.claims import ClaimBook
from sluice_proto import utc_now
from sluice_proto.session import AccountClaim
from sluice_proto.topics import ROUTER_CLAIMS


class AccountClaims:
    """This router's claims: which accounts it holds, written and renewed on the bus."""

    def __init__(self, bus: Bus, router_id: str, instance_id: str, lease_s: float) -> None:
        self._bus = bus
        self.router_id = router_id
        self._instance_id = instance_id
        self._lease_s = lease_s
        self.held: set[str] = set()

    async def claim(self, accounts: Iterable[str]) -> dict[str, AccountClaim]:
        """Claim ``accounts``; the ones another live router holds (not claimed), with its claim."""
        wanted = set(accounts) - self.held
        conflicts = await self._conflicts(wanted)
        free = wanted - set(conflicts)
        await self._write(free)
        late = await self._conflicts(free)  # another router wrote one meanwhile: both give up
        await self._write(late, released=True)
        self.held |= free - set(late)
        return {**conflicts, **late}

    async def renew(self) -> None:
        """Extend the lease of every account held (the heartbeat)."""
        await self._write(self.held)

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
        return book.conflicts(accounts, self.router_id, utc_now())

    async def _write(self, accounts: Iterable[str], *, released: bool = False) -> None:
        for account in sorted(accounts):
            claim = AccountClaim(
                account=account, router_id=self.router_id, instance_id=self._instance_id,
                lease_s=self._lease_s, released=released,
            )  # fmt: skip
            await self._bus.publish(ROUTER_CLAIMS, claim, key=account)
