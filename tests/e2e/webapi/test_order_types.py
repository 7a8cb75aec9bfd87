"""On the REST path (Web API simulator): a bracket sent as one order list; its take-profit
fills and the venue cancels its stop-loss, risk's exposure right at every step; a trailing
stop follows the quote and triggers."""

from __future__ import annotations

import pytest

from tests.e2e.order_types import (
    bracket_take_profit_cancels_stop_loss,
    trailing_stop_follows_and_triggers,
)
from tests.e2e.webapi.stack import WebApiStack

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

# Order states are read from IBKR's order list, at most every 5 s (IBKR's limit).
WITHIN_S = 60


async def test_a_bracket_take_profit_fills_and_the_venue_cancels_the_stop_loss(
    webapi: WebApiStack,
) -> None:
    venue = webapi.broker.sim.state.venue
    await bracket_take_profit_cancels_stop_loss(webapi, venue, WITHIN_S)


async def test_a_trailing_stop_follows_the_quote_and_triggers(webapi: WebApiStack) -> None:
    await trailing_stop_follows_and_triggers(webapi, webapi.broker.sim.state.venue, WITHIN_S)
