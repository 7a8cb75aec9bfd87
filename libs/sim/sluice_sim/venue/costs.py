"""Commission and margin models, modelled loosely on IBKR's fixed-rate pricing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .instruments import Instrument

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CommissionModel:
    """Per-execution commission: per share for stocks, per contract for futures, bps for FX."""

    stock_per_share: Decimal = Decimal("0.005")
    stock_minimum: Decimal = Decimal("1.00")
    stock_max_fraction: Decimal = Decimal("0.01")
    future_per_contract: Decimal = Decimal("0.85")
    fx_bps: Decimal = Decimal("0.2")
    fx_minimum: Decimal = Decimal("2.00")

    def commission(self, inst: Instrument, quantity: Decimal, price: Decimal) -> Decimal:
        notional = inst.notional(abs(quantity), price)
        if inst.sec_type == "FUT":
            fee = abs(quantity) * self.future_per_contract
        elif inst.sec_type == "CASH":
            fee = max(notional * self.fx_bps / Decimal(10_000), self.fx_minimum)
        else:
            per_share = abs(quantity) * self.stock_per_share
            fee = min(max(per_share, self.stock_minimum), notional * self.stock_max_fraction)
        return fee.quantize(_CENT, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class MarginModel:
    """Margin as a fraction of notional, per instrument (from the universe config)."""

    def initial(self, inst: Instrument, quantity: Decimal, price: Decimal) -> Decimal:
        return (inst.notional(abs(quantity), price) * inst.initial_margin).quantize(_CENT)

    def maintenance(self, inst: Instrument, quantity: Decimal, price: Decimal) -> Decimal:
        return (inst.notional(abs(quantity), price) * inst.maint_margin).quantize(_CENT)
