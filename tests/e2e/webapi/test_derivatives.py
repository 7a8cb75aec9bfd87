"""On the REST path (IBKR's hosted Web API), a signal for a company listed twice trades the
listing in the exchange and currency it names, not the search's first result."""

from __future__ import annotations

import pytest

from sluice_proto import OrderSubmitting
from tests.e2e.webapi.stack import WebApiStack
from tests.support.derivatives import SHOP_CAD, SHOP_CAD_CON_ID, SHOP_USD_CON_ID, signal_fields

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]


async def test_a_signal_trades_the_listing_in_the_currency_it_names(webapi: WebApiStack) -> None:
    await webapi.quotes_flow(SHOP_CAD, within_s=60)  # REST quotes: a poll every few seconds
    signal = await webapi.signal("SHOP", "BUY", 3, **signal_fields(SHOP_CAD))
    coid = signal.client_order_id
    lifecycle = await webapi.outcome(signal, within_s=30)

    assert "order_filled" in lifecycle, (lifecycle, webapi.recorder.rejections(coid))
    [submitting] = [
        m.event for m in webapi.recorder.order_events(coid) if isinstance(m.event, OrderSubmitting)
    ]
    assert submitting.con_id == SHOP_CAD_CON_ID
    held = webapi.broker.sim.state.venue.accounts[webapi.account].positions
    assert held[SHOP_CAD_CON_ID].quantity == 3 and SHOP_USD_CON_ID not in held
