"""The client against Sluice on the real broker: quotes, an order's outcome, a retried signal
after a restart, a cancel, amends through risk and the router to the simulator, and an
ambiguous instrument's refusal with its candidates."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from sluice_bus import make_bus
from sluice_client import (
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    Quote,
    SluiceClient,
    SubscriptionRejectedError,
)
from sluice_proto import MdSubscribe, MdUnsubscribe
from sluice_proto.topics import MD_SUBSCRIPTIONS
from tests.support.derivatives import AAPL_CALL_DEC
from tests.support.kafka_stack import KafkaStack

pytestmark = pytest.mark.kafka


def strategy() -> str:
    return f"client-{uuid.uuid4().hex[:8]}"


async def first_quote(client: SluiceClient, symbol: str) -> Quote:
    async with client.quotes(symbol) as quotes:
        async for quote in quotes:
            if quote.bid and quote.ask:
                return quote
    raise AssertionError("the quote stream ended")


async def test_a_market_order_ends_filled(kafka_stack: KafkaStack) -> None:
    async with SluiceClient(kafka_stack.bootstrap, strategy()) as client:
        quote = await first_quote(client, "AAPL")
        assert quote.instrument.symbol == "AAPL"

        signal = await client.signal("AAPL", "BUY", 2)
        outcome = await client.outcome(signal, timeout=60)

    assert isinstance(outcome, OrderFilled), outcome
    assert outcome.client_order_id == signal.client_order_id
    assert outcome.filled_quantity == Decimal(2)


async def test_a_restarted_strategy_resending_a_signal_gets_the_original_outcome(
    kafka_stack: KafkaStack,
) -> None:
    name = strategy()
    async with SluiceClient(kafka_stack.bootstrap, name) as client:
        await first_quote(client, "MSFT")
        signal = await client.signal("MSFT", "BUY", 1)
        original = await client.outcome(signal, timeout=60)

    async with SluiceClient(kafka_stack.bootstrap, name) as restarted:
        await restarted.publish_signal(signal)  # same signal_id: risk answers signal_duplicate
        again = await restarted.outcome(signal, timeout=60)

    assert isinstance(original, OrderFilled | OrderRejected), original
    assert again == original


async def test_a_resting_order_is_cancelled(kafka_stack: KafkaStack) -> None:
    async with SluiceClient(kafka_stack.bootstrap, strategy()) as client:
        quote = await first_quote(client, "SPY")
        assert quote.bid is not None
        below = (quote.bid * Decimal("0.98")).quantize(Decimal("0.01"))  # inside the collar
        signal = await client.signal("SPY", "BUY", 1, order_type="LMT", limit_price=below)
        async for event in client.lifecycle(signal):
            assert not isinstance(event, OrderRejected), event
            if isinstance(event, OrderAccepted):
                break

        await client.cancel(signal, reason="test")
        outcome = await client.outcome(signal, timeout=60)

    assert isinstance(outcome, OrderCancelled), outcome


async def test_a_resting_order_is_amended_once_per_revision(kafka_stack: KafkaStack) -> None:
    async with SluiceClient(kafka_stack.bootstrap, strategy()) as client:
        quote = await first_quote(client, "SPY")
        assert quote.bid is not None
        below = (quote.bid * Decimal("0.98")).quantize(Decimal("0.01"))  # inside the collar
        signal = await client.signal("SPY", "BUY", 1, order_type="LMT", limit_price=below)
        answers: list[object] = []
        async for event in client.lifecycle(signal):
            assert not isinstance(event, OrderRejected), event
            if isinstance(event, OrderAccepted):
                moved = below - Decimal("0.05")
                await client.modify(signal, revision=1, limit_price=moved, quantity=Decimal(2))
            if isinstance(event, OrderAmended):
                await client.modify(signal, revision=1, limit_price=below)  # replayed revision
            if isinstance(event, OrderAmended | OrderAmendRejected):
                answers.append(event)
            if len(answers) == 2:
                break
        await client.cancel(signal, reason="test")

    amended, replayed = answers
    assert isinstance(amended, OrderAmended), amended
    assert (amended.limit_price, amended.quantity) == (below - Decimal("0.05"), Decimal(2))
    assert isinstance(replayed, OrderAmendRejected), replayed
    assert replayed.reason_code == "STALE_REVISION"


async def test_a_bare_quote_loop_is_unsubscribed_when_the_client_closes(
    kafka_stack: KafkaStack,
) -> None:
    subscriber = f"bare-{uuid.uuid4().hex[:8]}"
    async with SluiceClient(kafka_stack.bootstrap, strategy()) as client:
        async for quote in client.quotes("AAPL", subscriber_id=subscriber):
            assert quote.instrument.symbol == "AAPL"
            break

    sent = [
        type(message.event)
        async for message in make_bus("client-test", kafka_stack.bootstrap).replay(
            [MD_SUBSCRIPTIONS]
        )
        if getattr(message.event, "subscriber_id", None) == subscriber
    ]
    assert sent == [MdSubscribe, MdUnsubscribe]


async def test_an_ambiguous_subscription_is_refused_with_its_candidates(
    kafka_stack: KafkaStack,
) -> None:
    async with SluiceClient(kafka_stack.bootstrap, strategy()) as client:
        with pytest.raises(SubscriptionRejectedError) as refused:
            async with client.quotes(AAPL_CALL_DEC) as quotes:
                await anext(quotes)
    assert refused.value.reason_code == "AMBIGUOUS_INSTRUMENT"
    expiries = {c.last_trade_date_or_contract_month for c in refused.value.candidates}
    assert expiries == {"20261211", "20261218"}
    assert all(c.con_id for c in refused.value.candidates)
