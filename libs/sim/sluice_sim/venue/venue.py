"""The paper venue: instruments, accounts, quotes, matching and the order store behind one API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from . import trailing
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
from .orders import AT_CLOSE, TRAILING, Execution, OrderSpec, OrderStatus, VenueOrder, WhatIf
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


Auction = Literal["open", "close"]
_STOPS = frozenset({"STP", "STP LMT"})  # PreSubmitted until the stop triggers
_WAITING_TYPES = _STOPS | TRAILING | AT_CLOSE


def _in_auction(spec: OrderSpec, which: Auction) -> bool:
    return spec.order_type in AT_CLOSE if which == "close" else spec.tif == "OPG"


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
        self._auction: Auction | None = None
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
        if spec.order_type in _WAITING_TYPES or spec.tif == "OPG" or spec.parent_id:
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
        """Advance the quote stream one step (working orders match against the new quotes);
        GTD orders past their time are cancelled first."""
        self.expire_good_till()
        return self.quotes.step()

    def expire_good_till(self) -> list[VenueOrder]:
        """Cancel the GTD orders whose time has come (IBKR cancels them itself)."""
        now = self.clock()
        due = [
            o
            for o in self.store.open_orders()
            if o.spec.tif == "GTD" and o.spec.good_till is not None and o.spec.good_till <= now
        ]
        for order in due:
            self._finish(order, OrderStatus.CANCELLED)
        return due

    def auction(self, which: Auction) -> list[VenueOrder]:
        """Run the opening (OPG orders) or closing (MOC, LOC) auction at the current quotes:
        those orders trade now if they can and are cancelled if not; the ones it covered."""
        covered = [o for o in self.store.open_orders() if _in_auction(o.spec, which)]
        self._auction = which
        try:
            for order in covered:
                self._work(order, self.universe.get(order.spec.con_id))
        finally:
            self._auction = None
        for order in covered:
            if not order.status.is_done:
                self._finish(order, OrderStatus.CANCELLED)
        return covered

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

    def _waits(self, order: VenueOrder) -> bool:
        """An order that may not trade yet: a bracket child before its parent filled, an
        auction order outside its auction."""
        spec = order.spec
        if spec.parent_id:
            parent = self.store.get(spec.client_id, spec.parent_id)
            if parent is None or parent.status is not OrderStatus.FILLED:
                return True
        auction = "close" if spec.order_type in AT_CLOSE else "open" if spec.tif == "OPG" else None
        return auction is not None and auction != self._auction

    def _trail(self, order: VenueOrder, quote: Quote) -> bool:
        """Move a trailing order's stop with the quote; True once it has triggered."""
        if order.triggered:
            return True
        order.trail_stop = trailing.follow(order.spec, quote, order.trail_stop)
        if not trailing.hit(order.spec, quote, order.trail_stop):
            return False
        order.triggered = True
        if order.spec.order_type == "TRAIL LIMIT":
            limit = trailing.triggered_limit(order.spec, order.trail_stop)
            order.spec = replace(order.spec, limit_price=limit)
        return True

    def _work(self, order: VenueOrder, inst: Instrument) -> None:
        if order.status.is_done or self._waits(order):
            return
        quote = self.quotes.quote(inst.con_id)
        if order.spec.order_type in TRAILING and not self._trail(order, quote):
            return
        if order.status is OrderStatus.PRE_SUBMITTED and order.spec.order_type not in _STOPS:
            order.status = OrderStatus.SUBMITTED  # a child whose parent filled, an auction's
            self._emit(OrderStatusChanged(order))
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
        self._one_cancels_all(order, qty)
        if order.status is OrderStatus.FILLED:
            for child in self._children(order):  # a bracket's children work from now on
                self._work(child, inst)

    def _children(self, parent: VenueOrder) -> list[VenueOrder]:
        spec = parent.spec
        return [
            o
            for o in self.store.open_orders(spec.client_id)
            if o.spec.parent_id == spec.order_id and o.spec.client_id == spec.client_id
        ]

    def _one_cancels_all(self, filled: VenueOrder, qty: Decimal) -> None:
        """IBKR's OCA: a fill cancels the group's other orders (ocaType 1, and a bracket's
        children, which are one group), or reduces them by the fill (ocaType 2 and 3)."""
        spec = filled.spec
        if spec.parent_id:
            group = [o for o in self._siblings(filled) if o.spec.parent_id == spec.parent_id]
            reduce = False
        elif spec.oca_group:
            group = [
                o
                for o in self._siblings(filled)
                if o.spec.oca_group == spec.oca_group and o.spec.account == spec.account
            ]
            reduce = spec.oca_type in (2, 3)
        else:
            return
        for other in group:
            if reduce and other.remaining > qty:
                other.spec = replace(other.spec, quantity=other.spec.quantity - qty)
                self._emit(OrderStatusChanged(other))
            else:
                self._finish(other, OrderStatus.CANCELLED)

    def _siblings(self, order: VenueOrder) -> list[VenueOrder]:
        return [
            o
            for o in self.store.open_orders()
            if o is not order and o.spec.client_id == order.spec.client_id
        ]

    def _finish(self, order: VenueOrder, status: OrderStatus) -> None:
        if order.status.is_done:
            return
        order.status = status
        order.completed_at = self.clock()
        order.completed_status = {
            OrderStatus.FILLED: "Filled Size: " + str(order.filled),
            OrderStatus.CANCELLED: "Cancelled by Trader",
        }.get(status, str(status))
        self._emit(OrderStatusChanged(order))
        if status is not OrderStatus.FILLED:  # IBKR: a parent's cancel takes its children
            for child in self._children(order):
                self._finish(child, status)

    def _emit(self, event: VenueEvent) -> None:
        for listener in list(self._listeners):
            listener(event)
