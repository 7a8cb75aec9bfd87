"""On the socket path (TWS simulator): a bracket's take-profit fills and the venue cancels its
stop-loss, risk's exposure right at every step; a trailing stop follows the quote and triggers."""

from __future__ import annotations

import pytest

from tests.e2e.order_types import (
    bracket_take_profit_cancels_stop_loss,
    trailing_stop_follows_and_triggers,
)
from tests.e2e.stack import ProcessStack

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

WITHIN_S = 30


async def test_a_bracket_take_profit_fills_and_the_venue_cancels_the_stop_loss(
    stack: ProcessStack,
) -> None:
    signal = await bracket_take_profit_cancels_stop_loss(stack, stack.tws.venue, WITHIN_S)
    assert stack.recorder.lifecycle(signal.client_order_id)[-1] == "order_filled"


async def test_a_trailing_stop_follows_the_quote_and_triggers(stack: ProcessStack) -> None:
    await trailing_stop_follows_and_triggers(stack, stack.tws.venue, WITHIN_S)
