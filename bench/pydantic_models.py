"""Pydantic v2 twins of ``Signal`` and ``OrderFilled``, only for the codec comparison.

Same fields, defaults and checks as the msgspec Structs in ``sluice_proto``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

Side = Literal["BUY", "SELL"]
_PRICE_REQUIRED = {
    "MKT": (),
    "LMT": ("limit_price",),
    "STP": ("stop_price",),
    "STP_LMT": ("limit_price", "stop_price"),
}


def _now() -> datetime:
    return datetime.now(UTC)


class Signal(BaseModel):
    type: Literal["signal"] = "signal"
    signal_id: str = Field(min_length=1, max_length=128)
    strategy_id: str = Field(min_length=1, max_length=128)
    symbol: str = Field(min_length=1, max_length=128)
    side: Side
    quantity: Decimal = Field(gt=0, allow_inf_nan=False)
    order_type: Literal["MKT", "LMT", "STP", "STP_LMT"]
    account: str | None = None
    sec_type: Literal["STK", "FUT", "OPT", "CASH", "IND", "CFD", "BOND", "FOP", "WAR", "CRYPTO"] = (
        "STK"
    )
    exchange: str = Field("SMART", min_length=1, max_length=128)
    currency: str = "USD"
    con_id: int | None = None
    limit_price: Decimal | None = Field(None, gt=0, allow_inf_nan=False)
    stop_price: Decimal | None = Field(None, gt=0, allow_inf_nan=False)
    tif: Literal["DAY", "GTC", "IOC"] = "DAY"
    outside_rth: bool = False
    created_at: AwareDatetime = Field(default_factory=_now)

    @model_validator(mode="after")
    def _prices(self) -> Signal:
        for name in _PRICE_REQUIRED[self.order_type]:
            if getattr(self, name) is None:
                raise ValueError(f"{name} is required for order_type {self.order_type}")
        return self


class Fill(BaseModel):
    exec_id: str
    quantity: Decimal
    price: Decimal
    commission: Decimal | None = None
    commission_currency: str | None = None
    executed_at: AwareDatetime = Field(default_factory=_now)


class OrderFilled(BaseModel):
    type: Literal["order_filled"] = "order_filled"
    client_order_id: str = Field(min_length=1, max_length=128)
    account: str
    strategy_id: str = ""
    signal_id: str = ""
    symbol: str = ""
    ts: AwareDatetime = Field(default_factory=_now)
    fill: Fill
    filled_quantity: Decimal
    avg_fill_price: Decimal
    side: Side | None = None
