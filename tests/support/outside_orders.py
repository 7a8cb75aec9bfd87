"""Orders another program places at the gateway, beside the router (no ``orderRef`` / cOID)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from ib_async import IB, LimitOrder, Stock, Trade

from tests.support.gateway import AAPL_CON_ID
from tests.support.polling import eventually


@contextlib.asynccontextmanager
async def tws_order(port: int, client_id: int, order: LimitOrder) -> AsyncIterator[Trade]:
    """An AAPL ``order`` placed by API client ``client_id`` at the TWS simulator on ``port``,
    working once yielded; that client disconnects on exit (its order stays working)."""
    other = IB()
    await other.connectAsync("127.0.0.1", port, clientId=client_id, timeout=5)
    try:
        contract = Stock("AAPL", "SMART", "USD", conId=AAPL_CON_ID)
        trade = other.placeOrder(contract, order)
        await eventually(lambda: trade.orderStatus.status == "Submitted", what="theirs working")
        yield trade
    finally:
        other.disconnect()
