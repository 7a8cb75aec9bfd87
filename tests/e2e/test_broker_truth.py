"""IBKR's truth reaches risk (issue 11, "Broker truth"): an order placed by hand at the gateway
(another client id, no ``orderRef``) counts toward risk's exposure, and a position changed
behind Sluice's back halts the account (``POSITION_DRIFT``), across a risk crash, until
``sluice accept-broker``.

The router publishes the truth every 0.5 s here (``SLUICE_ROUTER_BROKER_TRUTH_S``)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from ib_async import IB, LimitOrder, Stock

from sluice_proto import OrderRejected, Signal
from tests.e2e.stack import ProcessStack
from tests.support.cli import sluice

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

BY_HAND = 0
"""The client id of TWS itself: an order typed into TWS."""
DEFAULT_MAX_POSITION = 50_000
"""Risk's built-in ``max_position`` (the e2e stack does not change it)."""


async def _get(stack: ProcessStack, path: str, **params: str) -> Any:
    response = await stack.http.get(stack.url("risk", path), params=params)
    response.raise_for_status()
    return response.json()


async def _rejection(stack: ProcessStack, signal: Signal) -> OrderRejected:
    assert await stack.outcome(signal) == ["order_rejected"]
    [rejected] = stack.recorder.rejections(signal.client_order_id)
    return rejected


async def test_an_order_placed_by_hand_at_the_gateway_counts_toward_risks_exposure(
    stack: ProcessStack,
) -> None:
    # earlier tests on the shared stack may already hold AAPL: the limit counts from there
    positions = await _get(stack, "/positions", account=stack.account)
    held = sum(
        (Decimal(p["quantity"]) for p in positions if p["instrument"]["symbol"] == "AAPL"),
        Decimal(0),
    )
    resting = DEFAULT_MAX_POSITION - int(held) - 5
    hand = IB()
    await hand.connectAsync("127.0.0.1", stack.tws.port, clientId=BY_HAND, timeout=10)
    try:
        contract = Stock("AAPL", "SMART", "USD")
        theirs = hand.placeOrder(contract, LimitOrder("BUY", resting, 1.0, account=stack.account))

        async def counted() -> bool:
            foreign = (await _get(stack, "/exposure", account=stack.account))["foreign_orders"]
            return any(o["order_ref"] == "" and o["client_id"] == BY_HAND for o in foreign)

        await stack.until("risk to count the order placed by hand", counted, 15)
        rejected = await _rejection(stack, await stack.signal("AAPL", "BUY", 10))
        assert rejected.reason_code == "MAX_POSITION"
        assert f"would reach {DEFAULT_MAX_POSITION + 5}" in rejected.message

        hand.cancelOrder(theirs.order)

        async def gone() -> bool:
            return not (await _get(stack, "/exposure", account=stack.account))["foreign_orders"]

        await stack.until("the cancelled order to leave risk's exposure", gone, 15)
    finally:
        hand.disconnect()
    after = await stack.signal("AAPL", "BUY", 10)
    assert (await stack.outcome(after))[-1] == "order_filled"


async def test_a_position_changed_behind_sluices_back_halts_until_accept_broker(
    stack: ProcessStack,
) -> None:
    stack.control.adjust_position(stack.account, "SPY", Decimal(100))

    async def halted() -> bool:
        drift = (await _get(stack, "/status"))["position_drift"]
        return stack.account in drift

    await stack.until("risk to halt the account for drift", halted, 15)
    [spy] = (await _get(stack, "/status"))["position_drift"][stack.account]
    assert (spy["instrument"]["symbol"], Decimal(spy["broker"]) - Decimal(spy["book"])) == (
        "SPY", Decimal(100)
    )  # fmt: skip
    rejected = await _rejection(stack, await stack.signal("MSFT", "BUY", 1))
    assert rejected.reason_code == "POSITION_DRIFT"
    assert "sluice accept-broker" in rejected.message

    risk = stack.services["risk"]
    risk.kill()  # a crash: the halt must come back from risk's state topic
    risk.start()
    await risk.wait_ready(stack.http, 60)
    assert await halted()
    again = await _rejection(stack, await stack.signal("MSFT", "BUY", 1))
    assert again.reason_code == "POSITION_DRIFT"

    accepted = await asyncio.to_thread(
        sluice, "accept-broker", "--account", stack.account,
        "--bootstrap", stack.options.bootstrap, "--reason", "transfer in",
    )  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    assert "risk confirmed" in accepted.stdout
    assert not await halted()
    positions = await _get(stack, "/positions", account=stack.account)
    [held] = [p for p in positions if p["instrument"]["symbol"] == "SPY"]
    assert Decimal(held["quantity"]) == Decimal(spy["broker"])

    after = await stack.signal("MSFT", "BUY", 1)
    assert (await stack.outcome(after))[-1] == "order_filled"
    await asyncio.sleep(1.5)  # three more truths: the accepted book now matches the broker
    assert not await halted()
