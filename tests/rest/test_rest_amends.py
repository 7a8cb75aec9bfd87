"""Amends on the REST path: IBKR's modify endpoint for the same order, reply prompts answered
as for a placement, and a modify that loses the race with a fill reported, never resent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sluice_proto.orders import (
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSubmitting,
    OrderSubmitted,
)
from sluice_sim.cp import CpSimulator
from tests.rest.conftest import StartRestRouter
from tests.support.gateway import AAPL_CON_ID, ACCOUNT
from tests.support.orders import amend, at_venue, kinds, of, resting, send, working
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def test_an_amend_moves_the_resting_limit_under_the_same_order_id(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router()
    await send(broker, resting("cp-amend-1"))
    submitted = await working(broker, "cp-amend-1")
    replies = _replies(sim)

    sim.control.script_prompts(["o163", "o354"])  # the modify is questioned like an order
    await send(broker, amend("cp-amend-1", limit_price=Decimal("1.50")))
    await eventually(lambda: OrderAmended in kinds(broker, "cp-amend-1"), what="amended")
    [held] = at_venue(sim.state.venue, "cp-amend-1")
    assert (str(held.perm_id), held.spec.limit_price) == (
        submitted.broker_order_id,
        Decimal("1.50"),
    )
    assert _replies(sim) == replies + 2
    modify = f"POST /iserver/account/{ACCOUNT}/order/{held.perm_id}"
    assert sim.control.counters()["endpoints"].get(modify) == 1


async def test_an_amend_whose_prompt_is_declined_is_refused_and_changes_nothing(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router()
    await send(broker, resting("cp-amend-2"))
    await working(broker, "cp-amend-2")
    sim.control.script_prompts(["o10331"])  # not on the allow-list
    await send(broker, amend("cp-amend-2", quantity=Decimal(20)))
    await eventually(lambda: OrderAmendRejected in kinds(broker, "cp-amend-2"), what="refused")
    rejected = of(broker, "cp-amend-2")[-1]
    assert isinstance(rejected, OrderAmendRejected) and "declined" in rejected.message
    assert [o.spec.quantity for o in at_venue(sim.state.venue, "cp-amend-2")] == [10]


def _replies(sim: CpSimulator) -> int:
    endpoints = sim.control.counters()["endpoints"]
    return sum(n for name, n in endpoints.items() if name.startswith("POST /iserver/reply/"))


async def test_an_amend_racing_a_fill_is_refused_by_ibkr_and_no_second_order_exists(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router(IBKR_CP_POLL_S=60)  # the router hears of the fill late
    await send(broker, resting("cp-race-1"))
    await eventually(lambda: OrderSubmitted in kinds(broker, "cp-race-1"), what="acknowledged")
    sim.state.venue.quotes.set_mid(AAPL_CON_ID, Decimal("0.90"))  # it fills at IBKR
    await send(broker, amend("cp-race-1", limit_price=Decimal("0.80")))
    await eventually(lambda: OrderAmendRejected in kinds(broker, "cp-race-1"), what="refused")
    rejected = of(broker, "cp-race-1")[-1]
    assert isinstance(rejected, OrderAmendRejected)
    assert (rejected.rejected_by, rejected.reason_code) == ("broker", "BROKER_REJECTED")
    assert "filled" in rejected.message
    assert kinds(broker, "cp-race-1").count(OrderAmendSubmitting) == 1
    assert len(at_venue(sim.state.venue, "cp-race-1")) == 1
