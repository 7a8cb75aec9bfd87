"""Pure parts of the REST path and the CP simulator: no I/O."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

import pytest

from sluice_order_router.adapters.rest import parsing
from sluice_order_router.adapters.rest.limiter import Limit as CpLimit
from sluice_order_router.adapters.rest.limiter import RateLimitedError, SharedLimiter
from sluice_order_router.adapters.rest.prompts import Prompt, ReplyPolicy
from sluice_order_router.adapters.rest.settings import DEFAULT_REPLY_ALLOW, RestSettings
from sluice_order_router.adapters.rest.updates import UpdateDiffer
from sluice_order_router.domain.broker import BrokerOrder, BrokerSnapshot
from sluice_proto import Fill, Instrument
from sluice_sim.cp.limits import Limit, RateGate
from sluice_sim.cp.prompts import OrderFacts, Pending, PromptBook, PromptRules
from sluice_sim.cp.session import CpSession


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


ALLOWED_BY_DEFAULT = {
    "o163": "price exceeds \nthe Percentage constraint of 3%.",
    "o354": "You are submitting an order without market data.",
    "o383": "size exceeds the Size Limit of 500.",
    "o451": "exceeds \nthe Total Value Limit of",
}
DECLINED_BY_DEFAULT = ("o403", "o10331", "o10164", "p6", "o10153", "o10223", "p12")


def test_default_allow_list_against_ibkrs_real_prompts() -> None:
    """The simulator's prompts carry IBKR's texts and ids; the router decides on the ids."""
    book, policy = (
        PromptBook(seed=1, rules=PromptRules()),
        ReplyPolicy(frozenset(DEFAULT_REPLY_ALLOW)),
    )
    facts = OrderFacts("BUY", Decimal(650), "AAPL", "NASDAQ.NMS", Decimal(300), Decimal(195000))
    for message_id in (*ALLOWED_BY_DEFAULT, *DECLINED_BY_DEFAULT):
        body = book.ask(Pending(order={}, account="DU1", facts=facts, chain=deque([message_id])))
        assert parsing.is_prompt(body)
        prompt = Prompt.from_json(body[0])
        expected = "confirmed" if message_id in ALLOWED_BY_DEFAULT else "declined"
        assert (prompt.message_ids, policy.decide(prompt)) == ((message_id,), expected)
        assert ALLOWED_BY_DEFAULT.get(message_id, "") in prompt.text[0]
        assert prompt.text[0].endswith("Are you sure you want to submit this order?") or (
            message_id in {"p6", "o10153", "o10223", "p12"}  # IBKR asks no question there
        )


def test_reply_policy_confirms_only_fully_allow_listed_prompts() -> None:
    policy = ReplyPolicy(frozenset(DEFAULT_REPLY_ALLOW))
    assert policy.decide(Prompt("r", ("o163",), ("t",))) == "confirmed"
    assert policy.decide(Prompt("r", ("o163", "o10001"), ("t",))) == "declined"
    assert policy.decide(Prompt("r", (), ("t",))) == "declined"


def test_reply_allow_list_from_its_variable() -> None:
    settings = RestSettings.model_validate({"IBKR_CP_REPLY_ALLOW": "o354, o451"})
    assert settings.reply_allow == ("o354", "o451")


async def test_limiter_refuses_during_the_penalty_box() -> None:
    clock = Clock()
    limiter = SharedLimiter(clock=clock)
    await limiter.acquire("GET /iserver/accounts")
    limiter.penalize(600)
    with pytest.raises(RateLimitedError):
        await limiter.acquire("GET /iserver/accounts")
    clock.now = 601
    await limiter.acquire("GET /iserver/accounts")


def test_sim_rate_gate_boxes_a_caller_over_the_limit() -> None:
    gate = RateGate({"*": Limit(2, 1.0), "GET /tickle": Limit(1, 1.0)}, penalty_s=10)
    assert gate.admit("a", "GET /tickle", 0.0) is None
    assert gate.admit("a", "GET /tickle", 0.1) == 10  # second tickle within 1 s
    assert gate.admit("a", "GET /x", 5.0) == pytest.approx(5.1)  # still boxed
    assert gate.admit("b", "GET /tickle", 0.2) is None  # other callers unaffected
    assert gate.admit("a", "GET /tickle", 10.2) is None


def test_sim_session_competes_expires_and_reopens() -> None:
    clock = Clock()
    session = CpSession(clock, ttl_s=100)
    session.compete()
    assert session.state().competing and not session.bridged
    assert session.open_bridge() and session.bridged
    clock.now = 60
    assert session.state().sso_expires_ms == 40_000
    clock.now = 100
    assert not session.logged_in and not session.open_bridge()


def test_live_order_parsing_marks_partial_fills() -> None:
    raw = {"order_ref": "c1", "orderId": 7, "status": "Submitted",
           "filledQuantity": 3, "remainingQuantity": 7, "avgPrice": "10.5"}  # fmt: skip
    order = parsing.broker_order(raw)
    assert (order.status, order.filled_quantity, order.broker_order_id) == (
        "partially_filled",
        Decimal(3),
        "7",
    )
    assert parsing.broker_status("Inactive") == "rejected"
    assert parsing.error_text([{"error": "no"}]) == "no"
    assert parsing.is_prompt([{"id": "x", "messageIds": ["o1"], "message": ["?"]}])


def test_update_differ_reports_fills_then_status_changes_once() -> None:
    differ = UpdateDiffer()
    working = BrokerOrder("c1", "7", None, "accepted", remaining_quantity=Decimal(10))
    differ.prime(BrokerSnapshot(orders={"c1": working}))
    fill = Fill(exec_id="e1", quantity=Decimal(10), price=Decimal(1))
    done = BrokerOrder("c1", "7", None, "filled", filled_quantity=Decimal(10))
    snap = BrokerSnapshot(orders={"c1": done}, fills={"c1": [fill]})
    updates = differ.diff(snap)
    assert [(u.order.status, u.fill) for u in updates] == [("filled", fill)]
    assert differ.diff(snap) == []


async def test_limiter_counts_each_wait_for_its_slot() -> None:
    limiter = SharedLimiter({"*": CpLimit(100, 1.0), "GET /slow": CpLimit(1, 0.1)})
    await limiter.acquire("GET /slow")
    await limiter.acquire("GET /slow")  # waits for the endpoint's next slot
    assert limiter.pacing.waits == 2
    assert limiter.pacing.waiting == 0
    assert limiter.pacing.waited_s > 0


def test_secdef_answers_become_candidate_contracts() -> None:
    search = [
        {
            "conid": "265598",
            "sections": [{"secType": "STK"}, {"secType": "OPT", "months": "DEC26"}],
        },
        {"conid": "1", "sections": [{"secType": "STK"}]},
    ]
    assert parsing.search_con_ids(search, "OPT") == [265598]
    assert parsing.search_con_ids(search, "STK") == [265598, 1]
    assert parsing.month_code("202612") == parsing.month_code("20261218") == "DEC26"
    futures = {"ES": [{"symbol": "ES", "conid": 7, "expirationDate": 20261218, "ltd": 20261217}]}
    assert parsing.futures(futures, "ES") == [(7, "20261217")]
    assert parsing.has_strike({"call": [190.0, 200.0], "put": [190.0]}, Decimal(200), "C")
    assert not parsing.has_strike({"call": [190.0, 200.0], "put": [190.0]}, Decimal(200), "P")
    wanted = Instrument(
        symbol="AAPL", sec_type="OPT", last_trade_date_or_contract_month="202612",
        strike=Decimal(200), right="C",
    )  # fmt: skip
    raw = {
        "conid": 9, "symbol": "AAPL", "secType": "OPT", "exchange": "SMART", "right": "C",
        "strike": 200.0, "currency": "USD", "maturityDate": "20261218", "multiplier": "100",
        "tradingClass": "AAPL", "listingExchange": None,
    }  # fmt: skip
    option = parsing.secdef_info(raw, wanted)
    assert (option.con_id, option.strike, option.right, option.multiplier) == (9, 200, "C", 100)
    assert option.last_trade_date_or_contract_month == "20261218"
    info = {"con_id": 5, "exchange": "TSE", "currency": "CAD", "multiplier": "1",
            "local_symbol": "SHOP", "maturity_date": None}  # fmt: skip
    listing = parsing.contract_info(info, Instrument(symbol="SHOP", currency="CAD"))
    assert (listing.exchange, listing.currency, listing.multiplier) == ("TSE", "CAD", None)
