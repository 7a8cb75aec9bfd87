"""Field encoding shared by every message encoder."""

from __future__ import annotations

from decimal import Decimal

from sluice_sim.venue import Instrument

SERVER_VERSION = 176
"""The one server version the simulator speaks; every layout below is for it."""

Field = str | int | Decimal | bool | None
Fields = list[str]


def enc(value: Field) -> str:
    """TWS text for one field: booleans as 0/1, decimals without exponent, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def message(*values: Field) -> Fields:
    return [enc(v) for v in values]


def multiplier(inst: Instrument) -> str:
    """IBKR leaves the multiplier empty for instruments without one."""
    return "" if inst.multiplier == 1 else enc(inst.multiplier)


def contract(inst: Instrument, exchange: str | None = None) -> Fields:
    """conId .. tradingClass (11 fields), the contract block of orders, executions, positions."""
    return message(
        inst.con_id,
        inst.symbol,
        inst.sec_type,
        inst.last_trade_date,
        inst.strike,
        inst.right,
        multiplier(inst),
        inst.exchange if exchange is None else exchange,
        inst.currency,
        inst.local_symbol,
        inst.trading_class,
    )
