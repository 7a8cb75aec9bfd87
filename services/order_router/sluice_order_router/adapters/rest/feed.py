"""The WebSocket's topics as the router's events: ticks (``smd``), order updates (``sor``,
``str``) and account PnL (``spl``)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from sluice_order_router.domain.broker import BrokerOrder
from sluice_order_router.ports import OnOrderUpdate, OnPnl, OnTick, OrderUpdate
from sluice_proto import BrokerPnl, Instrument

from . import parsing
from .quotes import QuoteBook, field_value
from .updates import UpdateDiffer

log = logging.getLogger(__name__)
PNL_FIELDS = {"dpl": "daily", "upl": "unrealized", "nl": "net_liquidation", "mv": "market_value"}
"""``spl`` row fields: daily PnL, unrealized PnL, net liquidation, market value (IBKR sends no
realized PnL on it)."""


async def _no_tick(_: Instrument, __: dict[str, Decimal | None]) -> None:
    return None


async def _no_update(_: OrderUpdate) -> None:
    return None


async def _no_pnl(_: BrokerPnl) -> None:
    return None


def broker_pnl(key: str, figures: dict[str, Decimal | None]) -> BrokerPnl:
    """An ``spl`` row (keyed ``<account>.Core``) as the contract's ``BrokerPnl``."""
    return BrokerPnl(
        account=key.partition(".")[0],
        daily_pnl=figures["daily"],
        unrealized_pnl=figures["unrealized"],
        net_liquidation=figures["net_liquidation"],
        market_value=figures["market_value"],
    )


class StreamFeed:
    """Turns each socket message into ticks and order updates; fills once per execution id
    (the same ``UpdateDiffer`` the REST reconcile reports through)."""

    def __init__(self, book: QuoteBook, differ: UpdateDiffer) -> None:
        self._book, self._differ = book, differ
        self.on_tick: OnTick = _no_tick
        self.on_update: OnOrderUpdate = _no_update
        self.on_pnl: OnPnl = _no_pnl
        self.pnl: dict[str, dict[str, Decimal | None]] = {}
        """The last ``spl`` row per account key (``<account>.Core``), by ``PNL_FIELDS`` name."""
        self._orders: dict[str, dict[str, Any]] = {}
        """Every ``sor`` field seen per order id: IBKR may send only what changed."""

    async def __call__(self, message: dict[str, Any]) -> None:
        topic = str(message.get("topic", ""))
        args = message.get("args")
        if topic.startswith("smd+"):
            quote = self._book.update(message)
            if quote is not None:
                await self.on_tick(*quote)
        elif topic == "sor" and isinstance(args, list):
            for raw in args:
                await self._order(raw)
        elif topic == "str" and isinstance(args, list):
            for raw in args:
                await self._trade(raw)
        elif topic == "spl" and isinstance(args, dict):
            for key, row in args.items():
                if isinstance(row, dict):
                    self.pnl[key] = {n: field_value(row.get(f)) for f, n in PNL_FIELDS.items()}
                    await self.on_pnl(broker_pnl(key, self.pnl[key]))
        elif topic == "sts" and isinstance(args, dict) and args.get("authenticated") is False:
            log.warning("ws: IBKR says the session is not authenticated: %s", args.get("message"))
        elif "error" in message:
            log.warning("ws: IBKR error on %s: %.200s", topic or "the socket", message["error"])

    async def _order(self, raw: Any) -> None:
        if not isinstance(raw, dict) or raw.get("orderId") in (None, ""):
            return
        merged = self._orders.setdefault(str(raw["orderId"]), {})
        merged.update(raw)
        order = parsing.broker_order(merged)
        if order.client_order_id:
            for update in self._differ.status(order):
                await self.on_update(update)

    async def _trade(self, raw: Any) -> None:
        ref = str(raw.get("order_ref") or "") if isinstance(raw, dict) else ""
        if not ref or not raw.get("execution_id"):
            return
        order = self._differ.known(ref) or BrokerOrder(
            client_order_id=ref,
            broker_order_id=str(raw.get("order_id", "")),
            perm_id=None,
            status="accepted",
        )
        for update in self._differ.fill(order, parsing.fill(raw)):
            await self.on_update(update)
