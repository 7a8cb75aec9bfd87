"""Claims on the bus: one account, one router; a lapsed claim is taken over, never shared."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from sluice_bus import MemoryBroker, MemoryBus
from sluice_order_router.claims import AccountClaims
from sluice_proto.session import AccountClaim


@pytest.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    memory = MemoryBus(MemoryBroker(), "order-router")
    await memory.start()
    yield memory
    await memory.stop()


async def test_an_account_held_by_a_live_router_is_refused_until_released(bus: MemoryBus) -> None:
    first = AccountClaims(bus, "login-a", "a-1", lease_s=30.0)
    second = AccountClaims(bus, "login-b", "b-1", lease_s=30.0)
    assert await first.claim(["DU1", "DU2"]) == {}
    conflicts = await second.claim(["DU2", "DU3"])
    assert set(conflicts) == {"DU2"} and conflicts["DU2"].router_id == "login-a"
    assert second.held == {"DU3"}
    again = AccountClaims(bus, "login-a", "a-2", lease_s=30.0)  # its restart: no conflict
    assert await again.claim(["DU1"]) == {}
    assert again.earlier == {"DU1", "DU2"}  # what it served before: its journal's order ids
    await first.release()
    assert await second.claim(["DU2"]) == {}


async def test_a_router_that_could_not_renew_gives_up_what_another_took(bus: MemoryBus) -> None:
    lost: list[dict[str, AccountClaim]] = []
    first = AccountClaims(bus, "login-a", "a-1", lease_s=0.2, on_lost=lost.append)
    assert await first.claim(["DU1", "DU2"]) == {}
    await asyncio.sleep(0.3)  # no renewal within the lease (the bus was out of reach)
    second = AccountClaims(bus, "login-b", "b-1", lease_s=30.0)
    assert await second.claim(["DU2"]) == {}
    await first.renew()
    assert [set(taken) for taken in lost] == [{"DU2"}]
    assert first.held == {"DU1"}
    third = AccountClaims(bus, "login-c", "c-1", lease_s=30.0)
    assert set(await third.claim(["DU1", "DU2"])) == {"DU1", "DU2"}
