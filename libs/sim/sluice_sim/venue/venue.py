"""The paper venue: instruments, accounts, quotes, matching and the order store behind one API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from .accounts import Account, Position
from .costs import CommissionModel, MarginModel
from .errors import (
    CancelRefusedError,
    DuplicateOrderIdError,
    FilledOrderError,
    OrderNotFoundError,
    OrderRejectedError,
)
from .events import ExecutionOccurred, OrderStatusChanged, VenueEvent, VenueListener
from .instruments import ContractQuery, Instrument, load_universe
from .matching import match
from .orders import Execution, OrderSpec, OrderStatus, VenueOrder, WhatIf
from .quotes import Quote, QuoteBook
from .store import OrderStore
from .validation import validate
from .whatif import what_if


@dataclass(frozen=True, slots=True)
class VenueConfig:
    """How a paper venue is set up. The same seed gives the same quotes and ids."""

    seed: int = 1
    accounts: dict[str, Decimal] = field(
        default_factory=lambda: {"DU1234567": Decimal(1_000_000), "U7654321": Decimal(1_000_000)}
    )
    max_fill_per_step: Decimal | None = None
    universe_path: Path | None = None
    commission: CommissionModel = field(default_factory=CommissionModel)
    margin: MarginModel = field(default_factory=MarginModel)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class PaperVenue:
    """A deterministic paper venue, independent of any wire protocol."""

    def __init__(self, config: VenueConfig, clock: Callable[[], datetime] = _utcnow) -> None:
        self.config = config
        self.clock = clock
        self.universe = load_universe(config.universe_path)
        self.accounts = {aid: Account(aid, cash) for aid, cash in config.accounts.items()}
        self.quotes = QuoteBook(self.universe, config.seed)
        self.store = OrderStore()
        self._listeners: list[VenueListener] = []
        self._next_perm = 1_000_000 + config.seed * 10_000
        self._exec_seq = 0
        self.quotes.subscribe(self._on_quote)

    def subscribe(self, listener: VenueListener) -> Callable[[], None]:
        """Call ``listener`` with every order and execution event; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @property
    def default_account(self) -> str:
        return next(iter(self.accounts))

    def marks(self) -> dict[int, Decimal]:
        """The mid price of every instrument."""
        return {cid: (q.bid + q.ask) / 2 for cid, q in self.quotes.snapshot().items()}

    def account_values(self, account_id: str) -> dict[str, Decimal]:
        """IBKR-style account values (NetLiquidation, BuyingPower, ...) at current marks."""
        account = self.accounts[account_id]
        return account.values(self.universe, self.marks(), self.config.margin)

    def what_if(self, spec: OrderSpec) -> WhatIf:
        """Price an order's margin and commission impact without placing it."""
        inst = self._checked(spec)
        account = self.accounts[spec.account or self.default_account]
        return what_if(spec, inst, account, self)

    def place(self, spec: OrderSpec) -> VenueOrder:
        """Accept a new order, or modify the working order with the same client and order id."""
        spec = replace(spec, account=spec.account or self.default_account)
        inst = self._checked(spec)
        existing = self.store.get(spec.client_id, spec.order_id)
        if existing is not None:
            return self._modify(existing, spec)
        order = VenueOrder(spec=spec, perm_id=self._next_perm, created_at=self.clock())
        self._next_perm += 1
        if spec.order_type in {"STP", "STP LMT"}:
            order.status = OrderStatus.PRE_SUBMITTED
        self.store.add(order)
        self._emit(OrderStatusChanged(order))
        self._work(order, inst)
        return order

    def cancel(self, client_id: int, order_id: int) -> VenueOrder:
        """Cancel a working order; 10147 if it is unknown, 10148 if already final (as IBKR)."""
        order = self.store.get(client_id, order_id)
        if order is None:
            raise OrderNotFoundError(f"OrderId {order_id} that needs to be cancelled is not found.")
        if order.status.is_done:
            raise CancelRefusedError(
                f"OrderId {order_id} that needs to be cancelled cannot be cancelled, "
                f"state: {order.status.value}."
            )
        self._finish(order, OrderStatus.CANCELLED)
        return order

    def global_cancel(self) -> list[VenueOrder]:
        """Cancel every working order of every client and account (IBKR's reqGlobalCancel)."""
        working = self.store.open_orders()
        for order in working:
            self._finish(order, OrderStatus.CANCELLED)
        return working

    def expire_day_orders(self) -> list[VenueOrder]:
        """End of session: DAY orders still working are cancelled."""
        expiring = [o for o in self.store.open_orders() if o.spec.tif == "DAY"]
        for order in expiring:
            self._finish(order, OrderStatus.CANCELLED)
        return expiring

    def adjust_position(
        self, account: str, symbol: str, quantity: Decimal, price: Decimal | None = None
    ) -> Instrument:
        """Change a position outside any order, as a transfer, an expiry, a corporate action
        or a trade on another platform would: add ``quantity`` (signed) of the stock
        ``symbol`` at ``price`` (default: the mark); cash is untouched. Returns the instrument."""
        inst = self.universe.resolve(ContractQuery(symbol=symbol, sec_type="STK"))[0]
        held = self.accounts[account].positions.setdefault(inst.con_id, Position(inst.con_id))
        held.apply(quantity, price or self.marks()[inst.con_id], inst.multiplier)
        return inst

    def step(self) -> list[Quote]:
        """Advance the quote stream one step (working orders match against the new quotes)."""
        return self.quotes.step()

    async def run(self, interval: float) -> None:
        """Step the quote stream every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            self.step()

    def _checked(self, spec: OrderSpec) -> Instrument:
        inst = self.universe.get(spec.con_id)
        validate(spec, inst, set(self.accounts))
        return inst

    def _modify(self, order: VenueOrder, spec: OrderSpec) -> VenueOrder:
        """New terms for a working order under its id; the matching engine takes them at once
        (a new price may cross). The same order (by its orderRef) once filled answers 104, as
        IBKR; any other finished one, or another order under a spent id, 103."""
        same = bool(spec.order_ref) and spec.order_ref == order.spec.order_ref
        if order.status is OrderStatus.FILLED and same:
            raise FilledOrderError("Can't modify a filled order")
        if order.status.is_done:
            raise DuplicateOrderIdError("Duplicate order id")
        if (spec.con_id, spec.action) != (order.spec.con_id, order.spec.action):
            raise OrderRejectedError("Order rejected - reason:Contract or side cannot be modified")
        if spec.quantity < order.filled:
            raise OrderRejectedError("Order rejected - reason:Quantity below filled quantity")
        order.spec = replace(spec, order_ref=order.spec.order_ref)
        order.modifications += 1
        self._emit(OrderStatusChanged(order))
        self._work(order, self.universe.get(spec.con_id))
        return order

    def _on_quote(self, quote: Quote) -> None:
        for order in self.store.open_orders():
            if order.spec.con_id == quote.con_id:
                self._work(order, self.universe.get(quote.con_id))

    def _work(self, order: VenueOrder, inst: Instrument) -> None:
        quote = self.quotes.quote(inst.con_id)
        result = match(
            order.spec, order.remaining, quote, order.triggered, self.config.max_fill_per_step
        )
        if result.triggered and not order.triggered:
            order.triggered = True
            if order.status is OrderStatus.PRE_SUBMITTED:
                order.status = OrderStatus.SUBMITTED
                self._emit(OrderStatusChanged(order))
        if result.quantity > 0:
            self._fill(order, inst, result.quantity, result.price)
        if order.spec.tif == "IOC" and not order.status.is_done:
            self._finish(order, OrderStatus.CANCELLED)

    def _fill(self, order: VenueOrder, inst: Instrument, qty: Decimal, price: Decimal) -> None:
        spec = order.spec
        commission = self.config.commission.commission(inst, qty, price)
        account = self.accounts[spec.account]
        realized = account.apply_fill(inst, qty * spec.sign, price, commission)
        order.avg_fill_price = (order.avg_fill_price * order.filled + price * qty) / (
            order.filled + qty
        )
        order.filled += qty
        order.last_fill_price = price
        self._exec_seq += 1
        execution = Execution(
            exec_id=f"{order.perm_id:08x}.{self._exec_seq:08x}.01.01",
            perm_id=order.perm_id,
            order_id=spec.order_id,
            client_id=spec.client_id,
            con_id=inst.con_id,
            account=spec.account,
            side="BOT" if spec.action == "BUY" else "SLD",
            shares=qty,
            price=price,
            cum_qty=order.filled,
            avg_price=order.avg_fill_price,
            time=self.clock(),
            order_ref=spec.order_ref,
            exchange=inst.primary_exchange or inst.exchange,
            commission=commission,
            commission_currency=inst.currency,
            realized_pnl=realized if realized else None,
        )
        order.executions.append(execution)
        self.store.add_execution(execution)
        self.quotes.record_trade(inst.con_id, price, qty)
        self._emit(ExecutionOccurred(order, execution))
        if order.filled >= spec.quantity:
            self._finish(order, OrderStatus.FILLED)
        else:
            self._emit(OrderStatusChanged(order))

    def _finish(self, order: VenueOrder, status: OrderStatus) -> None:
        order.status = status
        order.completed_at = self.clock()
        order.completed_status = {
            OrderStatus.FILLED: "Filled Size: " + str(order.filled),
            OrderStatus.CANCELLED: "Cancelled by Trader",
        }.get(status, str(status))
        self._emit(OrderStatusChanged(order))

    def _emit(self, event: VenueEvent) -> None:
        for listener in list(self._listeners):
            listener(event)
