"""Positions and PnL by average-cost accounting, and each account's realised PnL of the day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sluice_proto import Instrument

ZERO = Decimal(0)


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


@dataclass(slots=True)
class Position:
    """One account's holding in one instrument; quantity is signed (short < 0)."""

    account: str
    instrument: Instrument
    multiplier: Decimal = Decimal(1)
    quantity: Decimal = ZERO
    avg_cost: Decimal = ZERO
    realised_pnl: Decimal = ZERO

    def apply_fill(self, signed_quantity: Decimal, price: Decimal, commission: Decimal) -> Decimal:
        """Book an execution; returns the realised PnL it produced (net of commission).

        Adding to the position moves the average cost; reducing it realises
        ``(price - avg_cost) x closed quantity``; crossing zero opens the rest at ``price``.
        """
        realised = -commission
        if self.quantity == 0 or _sign(signed_quantity) == _sign(self.quantity):
            total = abs(self.quantity) + abs(signed_quantity)
            self.avg_cost = (
                abs(self.quantity) * self.avg_cost + abs(signed_quantity) * price
            ) / total
        else:
            closed = min(abs(signed_quantity), abs(self.quantity))
            realised += closed * (price - self.avg_cost) * _sign(self.quantity) * self.multiplier
            if abs(signed_quantity) > abs(self.quantity):
                self.avg_cost = price
            elif abs(signed_quantity) == abs(self.quantity):
                self.avg_cost = ZERO
        self.quantity += signed_quantity
        self.realised_pnl += realised
        return realised

    def unrealised(self, mark: Decimal | None) -> Decimal:
        """Open PnL at ``mark`` (zero without a mark: unknown is not a gain)."""
        if mark is None or self.quantity == 0:
            return ZERO
        return (mark - self.avg_cost) * self.quantity * self.multiplier


@dataclass(slots=True)
class DayPnl:
    """Realised PnL of one account's trading day; a fill of a later day starts a new one."""

    day: date | None = None
    realised: Decimal = ZERO

    def add(self, day: date, amount: Decimal) -> None:
        """Count ``amount`` towards ``day``; amounts of an earlier day than held are ignored."""
        if self.day is None or day > self.day:
            self.day, self.realised = day, ZERO
        if day == self.day:
            self.realised += amount

    def on(self, day: date) -> Decimal:
        """The realised PnL of ``day`` (zero once the day has turned)."""
        return self.realised if self.day == day else ZERO


@dataclass(slots=True)
class Portfolio:
    """Every position, indexed by account then instrument key."""

    positions: dict[str, dict[str, Position]] = field(default_factory=dict)

    def position(self, account: str, key: str) -> Position | None:
        """The position if the account ever traded the instrument."""
        return self.positions.get(account, {}).get(key)

    def open_position(
        self, account: str, key: str, instrument: Instrument, multiplier: Decimal
    ) -> Position:
        """The position, created flat on first use."""
        book = self.positions.setdefault(account, {})
        found = book.get(key)
        if found is None:
            found = book[key] = Position(account, instrument, multiplier)
        return found

    def of(self, account: str) -> dict[str, Position]:
        """The account's positions by instrument key."""
        return self.positions.get(account, {})

    def all(self) -> list[Position]:
        """Every position of every account."""
        return [p for book in self.positions.values() for p in book.values()]
