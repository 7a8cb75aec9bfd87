"""Futures, options and twin listings through the REST path: ``/trsrv/futures``, the secdef
strikes and info, and a search that matches the exchange and the currency asked for."""

from __future__ import annotations

import ssl
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sluice_proto.orders import OrderRejected
from sluice_sim.cp import CpSimulator
from tests.rest.conftest import StartRestRouter
from tests.support.derivatives import (
    AAPL_CALL,
    AAPL_CALL_CON_ID,
    AAPL_CALL_DEC,
    ES_CALL,
    ES_CALL_CON_ID,
    ES_DEC26,
    ES_DEC26_CON_ID,
    ES_FRONT,
    SHOP_CAD,
    SHOP_CAD_CON_ID,
    SHOP_USD_CON_ID,
    filled_contract,
    front_es_con_id,
)
from tests.support.gateway import ACCOUNT
from tests.support.orders import approved, kinds, of, send
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def test_a_future_and_an_option_qualify_through_the_derivative_endpoints(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router()
    future = await filled_contract(broker, "es-1", ES_DEC26)
    assert (future.con_id, future.local_symbol, future.multiplier) == (ES_DEC26_CON_ID, "ESZ6", 50)
    option = await filled_contract(broker, "call-1", AAPL_CALL)
    assert (option.con_id, option.strike, option.right, option.multiplier) == (
        AAPL_CALL_CON_ID, 200, "C", 100
    )  # fmt: skip
    on_future = await filled_contract(broker, "fop-1", ES_CALL)
    assert (on_future.con_id, on_future.multiplier) == (ES_CALL_CON_ID, 50)
    endpoints = sim.control.counters()["endpoints"]
    for used in ("GET /trsrv/futures", "GET /iserver/secdef/strikes", "GET /iserver/secdef/info"):
        assert endpoints.get(used, 0) >= 1, used


async def test_the_listing_on_the_exchange_and_currency_asked_for_is_picked(
    sim: CpSimulator, start_rest_router: StartRestRouter
) -> None:
    _, broker = await start_rest_router()
    # the search lists the USD (NYSE) listing first: taking the first match would be wrong
    listed = [int(e["conid"]) for e in await _search(sim, "SHOP")]
    assert listed == [SHOP_USD_CON_ID, SHOP_CAD_CON_ID]
    listing = await filled_contract(broker, "shop-cad", SHOP_CAD)
    assert (listing.con_id, listing.exchange, listing.currency) == (SHOP_CAD_CON_ID, "TSE", "CAD")
    held = sim.state.venue.accounts[ACCOUNT].positions
    assert held[SHOP_CAD_CON_ID].quantity == 1 and SHOP_USD_CON_ID not in held


async def test_an_ambiguous_option_is_rejected_and_the_front_month_is_resolved(
    start_rest_router: StartRestRouter,
) -> None:
    _, broker = await start_rest_router()
    await send(broker, approved("amb-1", instrument=AAPL_CALL_DEC, quantity=Decimal(1)))
    await eventually(lambda: OrderRejected in kinds(broker, "amb-1"))
    [rejected] = of(broker, "amb-1")
    assert isinstance(rejected, OrderRejected) and rejected.reason_code == "AMBIGUOUS_INSTRUMENT"
    assert [c.last_trade_date_or_contract_month for c in rejected.candidates] == [
        "20261211", "20261218"
    ]  # fmt: skip
    assert all(c.con_id and c.strike == 200 and c.right == "C" for c in rejected.candidates)
    front = await filled_contract(broker, "front-1", ES_FRONT)
    assert front.con_id == front_es_con_id()


async def _search(sim: CpSimulator, symbol: str) -> list[dict[str, Any]]:
    """What ``/iserver/secdef/search`` answers, in its order."""
    tls = ssl.create_default_context(cafile=str(sim.cert_path))
    async with httpx.AsyncClient(base_url=sim.base_url(), verify=tls) as client:
        answer: list[dict[str, Any]] = (
            await client.get("/iserver/secdef/search", params={"symbol": symbol})
        ).json()
    return answer
