"""Orders another program places at the gateway, beside the router (no ``orderRef`` / cOID)."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx
from ib_async import IB, LimitOrder, Stock, Trade

from sluice_sim.cp import CpSimulator
from tests.support.gateway import AAPL_CON_ID, ACCOUNT
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


async def cp_order(sim: CpSimulator, side: str, quantity: int, price: float) -> str:
    """A day limit order for AAPL placed at the Client Portal simulator (no reply prompt);
    its IBKR order id."""
    sim.control.script_prompts([])
    order = {"conid": AAPL_CON_ID, "orderType": "LMT", "side": side, "quantity": quantity,
             "price": price, "tif": "DAY"}  # fmt: skip
    tls = ssl.create_default_context(cafile=str(sim.cert_path))
    async with httpx.AsyncClient(base_url=sim.base_url(), verify=tls) as client:
        answer: Any = (
            await client.post(f"/iserver/account/{ACCOUNT}/orders", json={"orders": [order]})
        ).json()
    return str(answer[0]["order_id"])
