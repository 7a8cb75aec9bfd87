"""The Client Portal simulator answers with IBKR's texts and shapes: IBind, unmodified, works."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ibind import ExternalBrokerError, IbkrClient, OrderRequest, QuestionType

from sluice_sim.cp import CpSimConfig, CpSimulator, PromptRules
from sluice_sim.cp.prompts import OrderFacts, prompt_text
from tests.support.gateway import AAPL_CON_ID

ACCOUNT = "DU1234567"


@pytest.fixture
async def cp() -> AsyncIterator[CpSimulator]:
    sim = CpSimulator(
        CpSimConfig(limits={}, prompt_rules=PromptRules(value_limit=Decimal(100_000)))
    )
    await sim.start()
    yield sim
    await sim.stop()


def _ibind(sim: CpSimulator) -> IbkrClient:
    return IbkrClient(
        account_id=ACCOUNT,
        url=f"https://localhost:{sim.port}/v1/api/",
        cacert=str(sim.cert_path),
        auto_register_shutdown=False,
        max_retries=0,
    )


def _place(client: IbkrClient, answers: dict[object, bool], **order: object) -> object:
    client.receive_brokerage_accounts()
    request = OrderRequest(conid=AAPL_CON_ID, side="BUY", acct_id=ACCOUNT, **order)  # type: ignore[arg-type]
    return client.place_order(request, answers, ACCOUNT).data


async def test_ibind_answers_the_price_band_prompt_by_its_text(cp: CpSimulator) -> None:
    mid = cp.state.venue.marks()[AAPL_CON_ID]
    order = {"quantity": 10, "order_type": "LMT", "price": float(mid * 2), "coid": "band-1"}
    answers = {QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True}
    placed = await asyncio.to_thread(_place, _ibind(cp), answers, **order)
    assert isinstance(placed, dict) and placed["order_id"]
    assert cp.state.venue.store.orders_with_ref("band-1")


async def test_ibind_answers_every_sourced_prompt_by_its_text(cp: CpSimulator) -> None:
    chain = ["o354", "o383", "o451", "o403", "o10331", "o10164", "p6"]
    cp.control.script_prompts(chain)
    answers = {
        QuestionType.MISSING_MARKET_DATA: True,
        QuestionType.ORDER_SIZE_LIMIT: True,
        QuestionType.ORDER_VALUE_LIMIT: True,
        QuestionType.TRIGGER_AND_FILL: True,
        QuestionType.STOP_ORDER_RISKS: True,
        QuestionType.CASH_QUANTITY: True,
        QuestionType.MULTIPLE_ACCOUNTS: True,
    }
    order = {"quantity": 10, "order_type": "MKT", "coid": "chain-1"}
    placed = await asyncio.to_thread(_place, _ibind(cp), answers, **order)
    assert isinstance(placed, dict) and placed["order_id"]


SOURCED = {
    "o163": QuestionType.PRICE_PERCENTAGE_CONSTRAINT,
    "o354": QuestionType.MISSING_MARKET_DATA,
    "o383": QuestionType.ORDER_SIZE_LIMIT,
    "o403": QuestionType.TRIGGER_AND_FILL,
    "o451": QuestionType.ORDER_VALUE_LIMIT,
    "o10153": QuestionType.MANDATORY_CAP_PRICE,
    "o10164": QuestionType.CASH_QUANTITY,
    "o10223": QuestionType.CASH_QUANTITY_ORDER,
    "o10331": QuestionType.STOP_ORDER_RISKS,
    "p6": QuestionType.MULTIPLE_ACCOUNTS,
    "p12": QuestionType.DISRUPTIVE_ORDERS,
}
"""Each prompt the simulator has IBKR's text for, and the question IBind recognises it as."""


@pytest.mark.parametrize("message_id", sorted(SOURCED))
async def test_ibind_answers_each_prompt_by_its_text(cp: CpSimulator, message_id: str) -> None:
    """IBind, given only the answer for this one question, recognises the prompt by its text
    (an unrecognised text raises) and the order is placed."""
    cp.control.script_prompts([message_id])
    order = {"quantity": 10, "order_type": "MKT", "coid": f"one-{message_id}"}
    answers = {SOURCED[message_id]: True}
    placed = await asyncio.to_thread(_place, _ibind(cp), answers, **order)
    assert isinstance(placed, dict) and placed["order_id"]
    assert cp.state.venue.store.orders_with_ref(f"one-{message_id}")


async def test_ibind_declining_a_prompt_places_nothing(cp: CpSimulator) -> None:
    order = {"quantity": 600, "order_type": "MKT", "coid": "size-1"}
    with pytest.raises(RuntimeError, match="Size Limit of 500"):
        await asyncio.to_thread(_place, _ibind(cp), {QuestionType.ORDER_SIZE_LIMIT: False}, **order)
    assert not cp.state.venue.store.orders_with_ref("size-1")


def test_texts_have_ibkrs_form() -> None:
    rules = PromptRules(value_limit=Decimal(100_000))
    facts = OrderFacts("BUY", Decimal(650), "AAPL", "NASDAQ.NMS", None, Decimal("124995"))
    limit = OrderFacts("BUY", Decimal(100), "AAPL", "NASDAQ.NMS", Decimal(165), Decimal(16500))
    sure = "\nAre you sure you want to submit this order?"
    assert prompt_text("o163", limit, rules) == (
        'The following order "BUY 100 AAPL NASDAQ.NMS @ 165" price exceeds \n'
        f"the Percentage constraint of 3%.{sure}"
    )
    assert prompt_text("o383", facts, rules) == (
        f"The following order BUY 650 AAPL NASDAQ.NMS size exceeds the Size Limit of 500.{sure}"
    )
    assert prompt_text("o451", facts, rules) == (
        "The following order BUY 650 AAPL NASDAQ.NMS value estimate of 124,995.00 USD exceeds \n"
        f"the Total Value Limit of 100,000 USD.{sure}"
    )


async def test_tickle_body_is_ibkrs(cp: CpSimulator) -> None:
    body = (await asyncio.to_thread(_ibind(cp).tickle)).data
    assert set(body) == {"session", "ssoExpires", "collission", "userId", "hmds", "iserver"}
    assert body["hmds"] == {"error": "no bridge"}
    status = body["iserver"]["authStatus"]
    assert "fail" not in status and status["authenticated"] is True
    assert status["hardware_info"].endswith(f"|{status['MAC']}")
    assert set(status) == {
        "authenticated", "competing", "connected", "message", "MAC", "serverInfo", "hardware_info"
    }  # fmt: skip
    assert await asyncio.to_thread(_ibind(cp).check_health)


async def test_history_answers_in_ibkrs_shape(cp: CpSimulator) -> None:
    """IBind's own history call and clean-up read the simulator's answer unmodified."""
    client = _ibind(cp)
    await asyncio.to_thread(client.receive_brokerage_accounts)
    start = datetime(2026, 12, 1, 15, 0)  # IBind formats it as IBKR's UTC startTime
    answer = await asyncio.to_thread(
        client.marketdata_history_by_conids, [str(AAPL_CON_ID)], period="1d", bar="1h",
        start_time=start,
    )  # fmt: skip
    records = answer[str(AAPL_CON_ID)]
    assert len(records) == 24
    assert all(r["low"] <= min(r["open"], r["close"]) <= r["high"] for r in records)
    raw = (
        await asyncio.to_thread(
            client.marketdata_history_by_conid, str(AAPL_CON_ID), "5min", period="1h"
        )
    ).data
    assert raw["barLength"] == 300 and raw["direction"] == -1 and len(raw["data"]) == 12
    assert raw["startTime"] == datetime.fromtimestamp(raw["data"][0]["t"] / 1000, UTC).strftime(
        "%Y%m%d-%H:%M:%S"
    )


async def test_ibind_walks_the_derivative_lookups(cp: CpSimulator) -> None:
    client = _ibind(cp)
    found = await asyncio.to_thread(client.search_contract_by_symbol, "SHOP")
    listings = {e["conid"]: e["description"] for e in found.data}
    assert listings == {"195014116": "NYSE", "195014125": "TSE"}
    info = await asyncio.to_thread(client.contract_information_by_conid, "195014125")
    assert (info.data["currency"], info.data["exchange"]) == ("CAD", "TSE")

    futures = await asyncio.to_thread(client.security_future_by_symbol, "ES")
    assert [f["ltd"] for f in futures.data["ES"]] == [20261218, 20270319, 20270618]

    [aapl] = (
        await asyncio.to_thread(client.search_contract_by_symbol, "AAPL", sec_type="OPT")
    ).data
    [opt] = [s for s in aapl["sections"] if s["secType"] == "OPT"]
    assert opt["months"] == "DEC26"
    strikes = await asyncio.to_thread(client.search_strikes_by_conid, aapl["conid"], "OPT", "DEC26")
    assert strikes.data == {"call": [190.0, 200.0], "put": [190.0, 200.0]}
    calls = await asyncio.to_thread(
        client.search_secdef_info_by_conid, aapl["conid"], "OPT", "DEC26", "SMART", "200", "C"
    )
    assert [(c["maturityDate"], c["right"], c["multiplier"]) for c in calls.data] == [
        ("20261211", "C", "100"),
        ("20261218", "C", "100"),
    ]


async def test_ibind_modifies_a_working_order_in_place(cp: CpSimulator) -> None:
    client = _ibind(cp)
    answers = {QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True}  # 1.00 is far from the market
    order = {"quantity": 10, "order_type": "LMT", "price": 1.0, "coid": "mod-1"}
    placed = await asyncio.to_thread(_place, client, answers, **order)
    assert isinstance(placed, dict)
    order_id = placed["order_id"]
    request = OrderRequest(
        conid=AAPL_CON_ID, side="BUY", acct_id=ACCOUNT, quantity=12, order_type="LMT", price=1.5,
        coid="mod-1",
    )  # fmt: skip
    modified = (
        await asyncio.to_thread(client.modify_order, order_id, request, answers, ACCOUNT)
    ).data
    assert isinstance(modified, dict) and modified["order_id"] == order_id
    [held] = [o for o in cp.state.venue.store if o.spec.order_ref == "mod-1"]
    assert (str(held.perm_id), held.spec.limit_price, held.spec.quantity) == (order_id, 1.5, 12)
    cp.state.venue.quotes.set_mid(AAPL_CON_ID, Decimal("0.50"))  # it fills
    with pytest.raises(ExternalBrokerError, match="Can't modify a filled order"):
        await asyncio.to_thread(client.modify_order, order_id, request, answers, ACCOUNT)
    assert cp.state.venue.store.orders_with_ref("mod-1") == 1


@pytest.mark.parametrize(
    ("order", "read"),
    [
        pytest.param({"order_type": "STP", "price": 250.0}, ("STP", None, 250, None), id="stop"),
        pytest.param(
            {"order_type": "STOP_LIMIT", "price": 251.0, "aux_price": 250.0},
            ("STP LMT", 251, 250, None),
            id="stop-limit",
        ),
        pytest.param(
            {"order_type": "TRAIL", "price": 250.0, "trailing_amt": 3.0, "trailing_type": "amt"},
            ("TRAIL", None, None, 250),
            id="trail",
        ),
        pytest.param(
            {
                "order_type": "TRAILLMT",
                "price": 251.0,
                "aux_price": 250.0,
                "trailing_amt": 2.0,
                "trailing_type": "%",
            },
            ("TRAIL LIMIT", None, None, 250),
            id="trailing-limit",
        ),
    ],
)
async def test_price_fields_are_read_as_ibkrs_place_order_reference_has_them(
    cp: CpSimulator, order: dict[str, object], read: tuple[object, ...]
) -> None:
    """``price`` is the stop of a STP or TRAIL, the limit of a STOP_LIMIT or TRAILLMT, whose
    stop is ``auxPrice`` (IBKR's cpapi-v1 place-order fields and order-type page)."""
    answers = {QuestionType.STOP_ORDER_RISKS: True, QuestionType.TRIGGER_AND_FILL: True}
    cp.control.script_prompts([])
    placed = await asyncio.to_thread(_place, _ibind(cp), answers, quantity=1, coid="px-1", **order)
    assert isinstance(placed, dict) and placed["order_id"]
    [held] = [o for o in cp.state.venue.store if o.spec.order_ref == "px-1"]
    spec = held.spec
    assert (spec.order_type, spec.limit_price, spec.stop_price, spec.trail_stop_price) == read
