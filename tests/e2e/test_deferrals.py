"""A signal never fails for want of a subscription: risk subscribes and waits for the quote."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.stack import ProcessStack

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

MSFT_CON_ID = 272093  # the simulator's universe


async def test_the_readme_signal_on_an_instrument_nobody_subscribed_is_traded_not_no_quote(
    stack: ProcessStack,
) -> None:
    # Earlier tests on the session's broker may have left MSFT subscribed (a subscription
    # outlives its stack; risk keeps its own while it holds MSFT, releasing it once idle, see
    # docs/risk.md "Releasing quotes"); then risk has a quote already. The fresh-broker path,
    # where nobody did, is tests/cli/test_kafka_local.py; the subscription risk makes, tests/risk.
    subscribed_before = stack.recorder.quote("MSFT") is not None
    ask = stack.tws.venue.quotes.quote(MSFT_CON_ID).ask  # what a strategy would pay
    marketable = (ask * Decimal("1.01")).quantize(Decimal("0.01"))
    signal = await stack.signal("MSFT", "BUY", 5, "LMT", marketable)
    lifecycle = await stack.outcome(signal, until=frozenset({"order_accepted", "order_filled",
                                                             "order_rejected"}))  # fmt: skip
    assert "order_rejected" not in lifecycle, stack.recorder.order_events(signal.client_order_id)
    assert lifecycle[0] == "order_approved"
    assert subscribed_before or stack.recorder.quote("MSFT") is not None  # risk subscribed
