"""The risk service state and how events change it, noting what changed for the changelog."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sluice_proto import (
    AcceptBroker,
    BrokerTruth,
    Instrument,
    KillSwitch,
    MdSubscriptionRejected,
    Quote,
    Resume,
)
from sluice_proto.control import ALL_ACCOUNTS
from sluice_proto.orders import (
    OrderAmended,
    OrderEvent,
    OrderFilled,
    OrderPartiallyFilled,
    OrderSubmitting,
    final_status,
)
from sluice_proto.risk_state import PositionDrift
from sluice_proto.session import SessionState
from sluice_risk.domain.broker_book import BrokerBook
from sluice_risk.domain.deferrals import Deferrals
from sluice_risk.domain.limits import LimitBook, multiplier_of
from sluice_risk.domain.market import Market, instrument_key
from sluice_risk.domain.orders import DecidedOrder, OrderLedger
from sluice_risk.domain.portfolio import DayPnl, Portfolio
from sluice_risk.domain.quote_lines import QuoteLines

log = logging.getLogger(__name__)

DayOf = Callable[[datetime], date]
"""The trading day a timestamp belongs to (the daily loss limit resets with it)."""


@dataclass(slots=True)
class Changes:
    """What changed since the changelog was last written."""

    orders: set[str] = field(default_factory=set)
    positions: set[tuple[str, str]] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    marks: set[tuple[str, str]] = field(default_factory=set)
    """Positions whose mark moved; written with the next changelog batch that is due."""
    subscriptions: list[Instrument] = field(default_factory=list)
    """Instruments risk wants quotes of (``MdSubscribe`` as subscriber ``risk``)."""


class RiskState:
    """Positions, orders, deferred signals, quotes, sessions, kill switches, the day's PnL."""

    def __init__(
        self, limits: LimitBook, day_of: DayOf, quote_idle: timedelta = timedelta(minutes=5)
    ) -> None:
        self.limits = limits
        self.day_of = day_of
        self.market = Market()
        self.lines = QuoteLines(quote_idle)
        self.portfolio = Portfolio()
        self.orders = OrderLedger(rate_horizon_s=limits.max_rate_window_s)
        self.deferrals = Deferrals(self.orders)
        self.kills: dict[str, str] = {}
        self.days: dict[str, DayPnl] = {}
        self.broker = BrokerBook()
        self.changes = Changes()

    def kill_reason(self, account: str) -> str | None:
        """Why the account may not trade (its own switch or the global one), or None."""
        return self.kills.get(account, self.kills.get(ALL_ACCOUNTS))

    def day_realised(self, account: str, now: datetime) -> Decimal:
        """The account's realised PnL of the trading day ``now`` falls in."""
        day = self.days.get(account)
        return day.on(self.day_of(now)) if day is not None else Decimal(0)

    def known_accounts(self) -> set[str]:
        """Every account risk has heard of: configured, ordered, held or with a session."""
        named = {
            *self.limits.config.accounts,
            *self.orders.accounts(),
            *self.portfolio.positions,
            *(state.account for state in self.market.session_states()),
        }
        if self.limits.config.default_account:
            named.add(self.limits.config.default_account)
        return named - {ALL_ACCOUNTS, ""}

    def record(self, order: DecidedOrder) -> None:
        """Remember a decided signal (its id is now seen)."""
        self.orders.record(order)
        self.changes.orders.add(order.client_order_id)

    def on_control(self, event: KillSwitch | Resume) -> list[str]:
        """Apply a kill switch or resume; returns the accounts whose open orders to cancel."""
        self.changes.accounts.add(event.account)
        if isinstance(event, Resume):
            if event.account == ALL_ACCOUNTS:
                self.changes.accounts.update(self.kills)
                self.kills.clear()
            else:
                self.kills.pop(event.account, None)
            return []
        self.kills[event.account] = event.reason or f"by {event.operator}"
        if event.account != ALL_ACCOUNTS:
            return [event.account]
        return sorted(self.known_accounts())

    def on_truth(self, truth: BrokerTruth) -> None:
        """Keep the broker's truth and compare its positions with the book (drift halts)."""
        account = truth.account
        book = {key: (p.instrument, p.quantity) for key, p in self.portfolio.of(account).items()}

        def tolerance(instrument: Instrument) -> Decimal:
            return self.limits.for_order(account, instrument.symbol).max_position_drift

        working: dict[str, tuple[Decimal, Decimal]] = {}
        for order in self.orders.open_orders(account):
            buys, sells = working.get(order.key, (Decimal(0), Decimal(0)))
            if order.side == "BUY":
                working[order.key] = (buys + order.remaining, sells)
            else:
                working[order.key] = (buys, sells + order.remaining)
        if self.broker.observe(truth, book, tolerance, working):
            log.error(
                "position drift on %s: new orders halted until `sluice accept-broker`: %s",
                account, self.broker.halts[account],
            )  # fmt: skip
            self.changes.accounts.add(account)

    def on_accept(self, event: AcceptBroker) -> None:
        """Adopt the broker's positions as the book of the account (``*``: every halted
        account) and lift its drift halt."""
        accounts = sorted(self.broker.halts) if event.account == ALL_ACCOUNTS else [event.account]
        for account in accounts:
            self.changes.accounts.add(account)
            truth = self.broker.accept(account)
            if truth is None:
                log.warning("accept-broker for %s: no broker truth received yet", account)
                continue
            self._adopt_positions(truth)
            log.warning("%s: the broker's positions adopted by %s", account, event.operator)

    def _adopt_positions(self, truth: BrokerTruth) -> None:
        account, book = truth.account, self.portfolio.of(truth.account)
        held = {self.broker.line_of(account, p.instrument): p for p in truth.positions}
        for key, position in book.items():
            if key not in held and position.quantity:
                position.quantity, position.avg_cost = Decimal(0), Decimal(0)
                self.changes.positions.add((account, key))
        for key, theirs in held.items():
            limits = self.limits.for_order(account, theirs.instrument.symbol)
            multiplier = multiplier_of(theirs.instrument, limits)
            # a line Sluice traded keeps the instrument it was traded as
            named = book[key].instrument if key in book else theirs.instrument
            ours = self.portfolio.open_position(account, key, named, multiplier)
            ours.quantity = theirs.quantity
            if theirs.avg_cost is not None:
                ours.avg_cost = theirs.avg_cost
            self.changes.positions.add((account, key))

    def drift_halt(self, account: str) -> list[PositionDrift] | None:
        """The drift that halts the account's new orders, or None."""
        return self.broker.halts.get(account)

    def on_session(self, state: SessionState) -> None:
        """Keep the session verdict."""
        self.market.on_session(state)

    def on_refusal(self, refused: MdSubscriptionRejected) -> None:
        """Market-data refused an instrument's quotes (the wait for them ends)."""
        self.market.on_refusal(refused)
        self.lines.drop(refused.instrument)  # a later signal may ask again (a line may free)

    def want_quotes(self, instrument: Instrument, now: datetime) -> None:
        """Risk needs the instrument's quotes: subscribe unless it holds a subscription."""
        if self.lines.hold(instrument, now):
            self.market.forget_refusal(instrument)
            self.changes.subscriptions.append(instrument)

    def quote_needs(self) -> list[Instrument]:
        """What risk marks or waits on: open positions, working orders, deferred signals."""
        return [
            *(p.instrument for p in self.portfolio.all() if p.quantity),
            *(o.instrument for a in self.orders.accounts() for o in self.orders.open_orders(a)),
            *(deferred.signal.instrument for _, deferred in self.deferrals),
        ]

    def release_idle_quotes(self, now: datetime) -> list[Instrument]:
        """Risk's subscriptions it has not needed for the idle period: unsubscribe them."""
        return self.lines.release_idle(self.quote_needs(), now)

    def resume_quotes(self, now: datetime) -> list[Instrument]:
        """After a restore: hold what is still needed (queued as subscriptions: asking again
        is harmless) and return every other instrument risk knows of, to unsubscribe, since
        the subscriptions risk made before the restart were not kept."""
        for instrument in self.quote_needs():
            self.want_quotes(instrument, now)
        held = {i.key for i in self.lines.instruments()}
        known = {
            i.key: i
            for i in (*(o.instrument for o in self.orders.all()), *self._position_instruments())
        }
        return [instrument for key, instrument in known.items() if key not in held]

    def _position_instruments(self) -> list[Instrument]:
        return [position.instrument for position in self.portfolio.all()]

    def on_quote(self, quote: Quote) -> None:
        """Keep the quote and note which positions it re-marks."""
        if self.market.on_quote(quote):
            key = instrument_key(quote.instrument)
            for account, book in self.portfolio.positions.items():
                if key in book:
                    self.changes.marks.add((account, key))

    def on_order_event(self, event: OrderEvent) -> None:
        """Follow an order's lifecycle: working orders, fills into positions, final states."""
        if isinstance(event, OrderSubmitting) and self.orders.get(event.client_order_id) is None:
            self._adopt(event)
        order = self.orders.get(getattr(event, "client_order_id", ""))
        if order is None:
            if isinstance(event, OrderPartiallyFilled | OrderFilled):
                log.error("fill for unknown order %s: position not booked", event.client_order_id)
            return
        if isinstance(event, OrderSubmitting):
            self._learn_contract(order, event)
        before = (order.status, order.filled_quantity)
        if isinstance(event, OrderAmended):
            self._amended(order, event)
        if isinstance(event, OrderPartiallyFilled | OrderFilled):
            self._fill(order, event)
        final = final_status(event)
        if final is not None:
            self.orders.set_status(order, final)
        if (order.status, order.filled_quantity) != before:  # e.g. not our own rejection echoed
            self.changes.orders.add(order.client_order_id)

    def _learn_contract(self, order: DecidedOrder, event: OrderSubmitting) -> None:
        """The conId the order went out as: the broker's positions in it are this book line."""
        con_id = event.con_id or (event.contract.con_id if event.contract is not None else None)
        if con_id and con_id != order.con_id:
            order.con_id = con_id
            self.broker.learn(order.account, con_id, order.key)
            self.changes.orders.add(order.client_order_id)

    def _amended(self, order: DecidedOrder, event: OrderAmended) -> None:
        """IBKR took an amend: the order now works with the amended terms."""
        order.quantity = event.quantity if event.quantity is not None else order.quantity
        order.limit_price = (
            event.limit_price if event.limit_price is not None else order.limit_price
        )
        order.stop_price = event.stop_price if event.stop_price is not None else order.stop_price
        order.tif = event.tif or order.tif
        order.revision = max(order.revision, event.revision)
        self.changes.orders.add(order.client_order_id)

    def _fill(self, order: DecidedOrder, event: OrderPartiallyFilled | OrderFilled) -> None:
        fill = event.fill
        booked = self.orders.book_fill(
            order, event.filled_quantity, event.avg_fill_price, (fill.quantity, fill.price)
        )
        if booked is None:
            return
        quantity, price = booked
        account, key = order.account, order.key
        limits = self.limits.for_order(account, order.instrument.symbol)
        multiplier = multiplier_of(order.instrument, limits)
        position = self.portfolio.open_position(account, key, order.instrument, multiplier)
        realised = position.apply_fill(
            quantity * order.direction, price, fill.commission or Decimal(0)
        )
        self.days.setdefault(account, DayPnl()).add(self.day_of(fill.executed_at), realised)
        self.changes.positions.add((account, key))
        self.changes.accounts.add(account)

    def _adopt(self, event: OrderSubmitting) -> None:
        """An order risk did not decide (placed before its state began): track it anyway."""
        order = DecidedOrder(
            client_order_id=event.client_order_id,
            account=event.account,
            strategy_id=event.strategy_id,
            signal_id=event.signal_id,
            # the carried order knows the sec type and currency positions are matched on
            instrument=event.order.instrument
            if event.order is not None
            else Instrument(symbol=event.symbol or "UNKNOWN"),
            side=event.side,
            quantity=event.quantity,
            status="open",
            limit_price=event.limit_price,
        )
        self.record(order)
