"""The instrument universe: contract definitions loaded from a small TOML file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import InvalidRequestError, UnknownContractError

_VALID_SEC_TYPES = frozenset({"STK", "CASH", "FUT", "OPT", "FOP", "IND", "CFD", "BOND", "CRYPTO"})


@dataclass(frozen=True, slots=True)
class Instrument:
    """One tradable contract with the details a gateway reports for it."""

    con_id: int
    symbol: str
    sec_type: str
    exchange: str
    currency: str
    local_symbol: str
    trading_class: str
    long_name: str
    min_tick: Decimal
    multiplier: Decimal
    price: Decimal
    spread_ticks: int
    volatility_ticks: int
    initial_margin: Decimal
    maint_margin: Decimal
    primary_exchange: str = ""
    last_trade_date: str = ""
    industry: str = ""
    category: str = ""
    subcategory: str = ""
    stock_type: str = "COMMON"
    min_size: Decimal = Decimal(1)
    time_zone: str = "US/Eastern"
    order_types: str = "LMT,MKT,STP,STP LMT,IOC,GTC,DAY"
    strike: Decimal = Decimal(0)
    right: str = ""
    """``C`` or ``P`` for an option; empty otherwise."""

    @property
    def contract_month(self) -> str:
        return self.last_trade_date[:6]

    def notional(self, quantity: Decimal, price: Decimal) -> Decimal:
        return quantity * price * self.multiplier


@dataclass(frozen=True, slots=True)
class ContractQuery:
    """A partial contract description as clients send it; empty fields match anything."""

    con_id: int = 0
    symbol: str = ""
    sec_type: str = ""
    exchange: str = ""
    currency: str = ""
    local_symbol: str = ""
    last_trade_date: str = ""
    trading_class: str = ""
    primary_exchange: str = ""
    strike: Decimal | None = None
    right: str = ""
    multiplier: str = ""

    def matches(self, inst: Instrument) -> bool:
        if self.con_id:
            return self.con_id == inst.con_id
        checks = (
            (self.symbol, inst.symbol),
            (self.sec_type, inst.sec_type),
            (self.currency, inst.currency),
            (self.local_symbol, inst.local_symbol),
            (self.trading_class, inst.trading_class),
            (self.primary_exchange, inst.primary_exchange),
            (self.right[:1], inst.right),  # IBKR takes C/P and CALL/PUT alike
        )
        if any(want and want.upper() != have.upper() for want, have in checks):
            return False
        if self.strike and self.strike != inst.strike:
            return False
        if self.multiplier and Decimal(self.multiplier) != inst.multiplier:
            return False
        listed = {inst.exchange, inst.primary_exchange, "SMART"}
        if self.exchange and self.exchange.upper() not in listed:
            return False
        if self.exchange.upper() == "SMART" and inst.sec_type == "FUT":
            return False
        return not self.last_trade_date or inst.last_trade_date.startswith(self.last_trade_date)


@dataclass(slots=True)
class Universe:
    """The set of instruments a venue knows, looked up by conId or partial description."""

    instruments: dict[int, Instrument] = field(default_factory=dict)

    def get(self, con_id: int) -> Instrument:
        try:
            return self.instruments[con_id]
        except KeyError:
            raise UnknownContractError(
                "No security definition has been found for the request"
            ) from None

    def resolve(self, query: ContractQuery) -> list[Instrument]:
        """All instruments matching ``query``; raises 321 when incomplete, 200 when none."""
        if not query.con_id:
            if not query.symbol and not query.local_symbol:
                raise InvalidRequestError(
                    "Error validating request.-'bW' : cause - Please enter a symbol or local symbol"
                )
            if query.sec_type.upper() not in _VALID_SEC_TYPES:
                raise InvalidRequestError(
                    "Error validating request.-'bW' : cause - Please enter a valid security type"
                )
        found = [inst for inst in self.instruments.values() if query.matches(inst)]
        if not found:
            raise UnknownContractError("No security definition has been found for the request")
        return found


_DECIMAL_FIELDS = frozenset(
    {"min_tick", "multiplier", "price", "initial_margin", "maint_margin", "min_size", "strike"}
)
_CHAIN_FIELDS = frozenset({"first_con_id", "expiries", "strikes", "rights", "future"})


def _instrument(raw: dict[str, Any]) -> Instrument:
    values: dict[str, Any] = {
        k: Decimal(str(v)) if k in _DECIMAL_FIELDS else v for k, v in raw.items()
    }
    return Instrument(**values)


def _option_chain(raw: dict[str, Any]) -> list[Instrument]:
    """Every expiry x strike x right of an ``[[option_chain]]`` table, conIds counting up from
    ``first_con_id``; local symbols in the OCC's 21-character form (``AAPL  261218C00200000``),
    or for options on a future (``future = "ESZ6"``) as CME's (``ESZ6 C5300``)."""
    common = {k: v for k, v in raw.items() if k not in _CHAIN_FIELDS}
    out: list[Instrument] = []
    for expiry in raw["expiries"]:
        for strike in raw["strikes"]:
            for right in raw["rights"]:
                millis = int(Decimal(str(strike)) * 1000)
                local = f"{raw['symbol']:<6}{expiry[2:]}{right}{millis:08d}"
                if "future" in raw:
                    local = f"{raw['future']} {right}{strike}"
                values = {
                    **common, "last_trade_date": expiry, "strike": strike, "right": right,
                    "local_symbol": local, "con_id": raw["first_con_id"] + len(out),
                }  # fmt: skip
                out.append(_instrument(values))
    return out


def load_universe(path: Path | None = None) -> Universe:
    """Load a universe from ``path``, or the default one shipped with the package."""
    if path is None:
        text = resources.files(__package__).joinpath("universe.toml").read_text()
    else:
        text = path.read_text()
    raw = tomllib.loads(text)
    found = [_instrument(i) for i in raw.get("instrument", [])]
    for chain in raw.get("option_chain", []):
        found.extend(_option_chain(chain))
    return Universe({i.con_id: i for i in found})
