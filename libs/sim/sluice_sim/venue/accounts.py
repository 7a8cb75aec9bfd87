"""Accounts: cash, positions, and the account values a gateway reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .costs import MarginModel
from .instruments import Instrument, Universe

_CENT = Decimal("0.01")


@dataclass(slots=True)
class Position:
    """A holding in one instrument; ``avg_price`` is per unit (before the multiplier)."""

    con_id: int
    quantity: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)
    realized_pnl: Decimal = Decimal(0)

    def apply(self, signed_qty: Decimal, price: Decimal, multiplier: Decimal) -> Decimal:
        """Add a signed fill; returns the realized P&L it produced."""
        realized = Decimal(0)
        same_direction = self.quantity == 0 or (self.quantity > 0) == (signed_qty > 0)
        if same_direction:
            total = self.quantity + signed_qty
            self.avg_price = (self.avg_price * self.quantity + price * signed_qty) / total
            self.quantity = total
        else:
            closing = min(abs(signed_qty), abs(self.quantity))
            direction = Decimal(1) if self.quantity > 0 else Decimal(-1)
            realized = (price - self.avg_price) * closing * direction * multiplier
            self.quantity += signed_qty
            if self.quantity == 0:
                self.avg_price = Decimal(0)
            elif (self.quantity > 0) != (direction > 0):
                self.avg_price = price  # flipped: the remainder opened at this price
        self.realized_pnl += realized
        return realized


@dataclass(slots=True)
class Account:
    """One account: base-currency cash and positions by conId."""

    account_id: str
    cash: Decimal
    currency: str = "USD"
    positions: dict[int, Position] = field(default_factory=dict)

    @property
    def is_paper(self) -> bool:
        return self.account_id.startswith("DU")

    def apply_fill(
        self, inst: Instrument, signed_qty: Decimal, price: Decimal, commission: Decimal
    ) -> Decimal:
        """Book a fill: move cash (futures settle only P&L) and the position."""
        pos = self.positions.setdefault(inst.con_id, Position(inst.con_id))
        realized = pos.apply(signed_qty, price, inst.multiplier)
        if inst.sec_type == "FUT":
            self.cash += realized
        else:
            self.cash -= inst.notional(signed_qty, price)
        self.cash -= commission
        return realized

    def values(
        self, universe: Universe, marks: Mapping[int, Decimal], margin: MarginModel
    ) -> dict[str, Decimal]:
        """Account values by IBKR tag name (all in the account's base currency)."""
        gross = unrealized = futures_pnl = init = maint = realized = market_value = Decimal(0)
        for pos in self.positions.values():
            inst = universe.get(pos.con_id)
            mark = marks.get(pos.con_id, pos.avg_price)
            realized += pos.realized_pnl
            if pos.quantity == 0:
                continue
            pnl = (mark - pos.avg_price) * pos.quantity * inst.multiplier
            unrealized += pnl
            init += margin.initial(inst, pos.quantity, mark)
            maint += margin.maintenance(inst, pos.quantity, mark)
            if inst.sec_type == "FUT":
                futures_pnl += pnl
            else:
                value = inst.notional(pos.quantity, mark)
                market_value += value
                gross += abs(value)
        net_liq = self.cash + market_value + futures_pnl
        values = {
            "NetLiquidation": net_liq,
            "TotalCashValue": self.cash,
            "SettledCash": self.cash,
            "GrossPositionValue": gross,
            "EquityWithLoanValue": net_liq,
            "InitMarginReq": init,
            "MaintMarginReq": maint,
            "AvailableFunds": net_liq - init,
            "ExcessLiquidity": net_liq - maint,
            "BuyingPower": (net_liq - init) * 4,
            "UnrealizedPnL": unrealized,
            "RealizedPnL": realized,
        }
        return {tag: v.quantize(_CENT) for tag, v in values.items()}
