"""The operator commands against Sluice on the real broker, run as a user runs them."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

from tests.support.cli import sluice_async
from tests.support.kafka_stack import KafkaStack
from tests.support.polling import eventually


async def run_json(stack: KafkaStack, *args: str) -> Any:
    result = await sluice_async(*args, "--bootstrap", stack.bootstrap, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def account_status(stack: KafkaStack) -> dict[str, Any]:
    document = await run_json(stack, "status", "--account", stack.account)
    [row] = document["accounts"]
    return dict(row)


async def rest_below_bid(stack: KafkaStack, strategy: str, signal_id: str) -> Decimal:
    """Send a signal to buy 1 SPY 2% below the bid (so it rests) through the CLI; its limit."""
    quote = (await run_json(stack, "subscribe", "SPY", "--subscriber", strategy))["quote"]
    below = (Decimal(quote["bid"]) * Decimal("0.98")).quantize(Decimal("0.01"))
    sent = await sluice_async(
        "signal", "SPY", "BUY", "1", "--type", "LMT", "--limit", str(below),
        "--strategy", strategy, "--signal-id", signal_id, "--bootstrap", stack.bootstrap,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    return below


@pytest.mark.kafka
async def test_kill_shows_in_status_and_resume_lifts_it(kafka_stack: KafkaStack) -> None:
    account, bootstrap = kafka_stack.account, kafka_stack.bootstrap
    killed = await sluice_async(
        "kill", "--account", account, "--reason", "drill", "--bootstrap", bootstrap
    )
    try:
        assert killed.returncode == 0, killed.stderr
        assert "risk confirmed" in killed.stdout
        status = await account_status(kafka_stack)
        assert status["kill_switch"] is True
        assert status["kill_reason"] == "drill"
        table = await sluice_async("status", "--account", account, "--bootstrap", bootstrap)
        assert account in table.stdout
    finally:
        resumed = await sluice_async("resume", "--account", account, "--bootstrap", bootstrap)
    assert resumed.returncode == 0, resumed.stderr
    status = await account_status(kafka_stack)
    assert status["kill_switch"] is False
    assert (status["session"], status["trading_allowed"]) == ("UP", True)


@pytest.mark.kafka
async def test_subscribe_shows_quotes_flowing_and_unsubscribe_drops_it(
    kafka_stack: KafkaStack,
) -> None:
    subscribed = await run_json(kafka_stack, "subscribe", "AAPL", "--subscriber", "cli-test")
    assert subscribed["instrument"] == "STK:AAPL:SMART:USD"
    assert subscribed["quote"]["instrument"]["symbol"] == "AAPL"

    dropped = await run_json(kafka_stack, "unsubscribe", "AAPL", "--subscriber", "cli-test")
    assert dropped == {"instrument": "STK:AAPL:SMART:USD", "subscriber_id": "cli-test"}


@pytest.mark.kafka
async def test_a_signal_is_listed_in_orders_until_it_is_cancelled(
    kafka_stack: KafkaStack,
) -> None:
    strategy, signal_id = f"cli-{uuid.uuid4().hex[:8]}", "resting-1"
    await rest_below_bid(kafka_stack, strategy, signal_id)

    async def working() -> dict[str, Any] | None:
        rows = await run_json(kafka_stack, "orders", "--account", kafka_stack.account)
        mine = [r for r in rows if r["signal_id"] == signal_id and r["strategy_id"] == strategy]
        return mine[0] if mine and mine[0]["step"] == "order_accepted" else None

    await eventually(working, within=60, what="the order working at the simulator")

    cancelled = await run_json(kafka_stack, "cancel", signal_id, "--strategy", strategy)
    assert cancelled["answer"]["type"] == "order_cancelled"
    every = await run_json(kafka_stack, "orders", "--all", "--account", kafka_stack.account)
    [row] = [r for r in every if r["signal_id"] == signal_id and r["strategy_id"] == strategy]
    assert row["status"] == "cancelled"
    assert await working() is None


@pytest.mark.kafka
async def test_positions_and_pnl_show_a_fill(kafka_stack: KafkaStack) -> None:
    strategy = f"cli-{uuid.uuid4().hex[:8]}"
    await run_json(kafka_stack, "subscribe", "MSFT", "--subscriber", strategy)
    sent = await sluice_async(
        "signal", "MSFT", "BUY", "3", "--strategy", strategy, "--bootstrap", kafka_stack.bootstrap
    )
    assert sent.returncode == 0, sent.stderr

    async def msft() -> dict[str, Any] | None:
        rows = await run_json(kafka_stack, "positions", "--account", kafka_stack.account)
        held = [r for r in rows if r["symbol"] == "MSFT" and Decimal(r["quantity"]) >= 3]
        return held[0] if held else None

    await eventually(msft, within=60, what="an MSFT position")
    [pnl] = await run_json(kafka_stack, "pnl", "--account", kafka_stack.account)
    assert pnl["account"] == kafka_stack.account
    assert Decimal(pnl["total"]) == Decimal(pnl["realised"]) + Decimal(pnl["unrealised"])
    table = await sluice_async("positions", "--bootstrap", kafka_stack.bootstrap)
    assert "MSFT" in table.stdout


@pytest.mark.kafka
async def test_amend_moves_a_working_order_once_per_revision(kafka_stack: KafkaStack) -> None:
    strategy, signal_id = f"cli-{uuid.uuid4().hex[:8]}", "amend-1"
    below = await rest_below_bid(kafka_stack, strategy, signal_id)

    async def working() -> bool:
        rows = await run_json(kafka_stack, "orders", "--account", kafka_stack.account)
        mine = [r for r in rows if r["signal_id"] == signal_id and r["strategy_id"] == strategy]
        return bool(mine) and mine[0]["step"] == "order_accepted"

    await eventually(working, within=60, what="the order working at the simulator")
    moved = str(below - Decimal("0.10"))
    args = ("amend", signal_id, "--strategy", strategy, "--revision", "1", "--limit", moved)
    amended = await run_json(kafka_stack, *args)
    assert amended["answer"]["type"] == "order_amended"
    assert Decimal(amended["answer"]["limit_price"]) == Decimal(moved)
    again = await sluice_async(*args, "--bootstrap", kafka_stack.bootstrap)
    assert again.returncode == 1 and "STALE_REVISION" in again.stdout
    await run_json(kafka_stack, "cancel", signal_id, "--strategy", strategy)
