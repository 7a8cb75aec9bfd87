"""Decoding client requests (as ib_async 2.1.0 encodes them for server version 176)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sluice_sim.venue import ContractQuery


class Cursor:
    """Reads a message's fields in order; running past the end raises IndexError."""

    def __init__(self, fields: list[str], start: int = 1) -> None:
        self._fields = fields
        self._pos = start

    def text(self) -> str:
        value = self._fields[self._pos]
        self._pos += 1
        return value

    def integer(self) -> int:
        return int(self.text() or 0)

    def flag(self) -> bool:
        return self.text() not in {"", "0"}

    def decimal(self) -> Decimal | None:
        """A price or quantity; empty (IBKR's 'unset') is None."""
        raw = self.text()
        if raw in {"", "1.7976931348623157e+308", "1.7976931348623157E308"}:
            return None
        try:
            return Decimal(raw)
        except InvalidOperation:
            raise ValueError(f"not a number: {raw!r}") from None

    def skip(self, count: int = 1) -> None:
        self._pos += count

    def contract(self) -> ContractQuery:
        """conId, symbol, secType, expiry, strike, right, multiplier, exchange, primaryExchange,
        currency, localSymbol, tradingClass."""
        con_id, symbol, sec_type, expiry = self.integer(), self.text(), self.text(), self.text()
        strike, right, multiplier = self.decimal(), self.text(), self.text()
        exchange, primary, currency = self.text(), self.text(), self.text()
        local_symbol, trading_class = self.text(), self.text()
        return ContractQuery(
            con_id=con_id,
            symbol=symbol,
            sec_type=sec_type,
            exchange=exchange,
            currency=currency,
            local_symbol=local_symbol,
            last_trade_date=expiry,
            trading_class=trading_class,
            primary_exchange=primary,
            strike=strike,
            right=right,
            multiplier=multiplier,
        )


@dataclass(frozen=True, slots=True)
class MarketDataRequest:
    req_id: int
    query: ContractQuery
    snapshot: bool


@dataclass(frozen=True, slots=True)
class ExecutionFilter:
    req_id: int
    client_id: int
    account: str
    symbol: str
    sec_type: str
    side: str


def market_data(fields: list[str]) -> MarketDataRequest:
    c = Cursor(fields, 2)
    req_id, query = c.integer(), c.contract()
    if c.flag():  # delta-neutral contract present
        c.skip(3)
    c.skip(1)  # generic tick list
    return MarketDataRequest(req_id, query, c.flag())


def contract_details(fields: list[str]) -> tuple[int, ContractQuery]:
    c = Cursor(fields, 2)
    return c.integer(), c.contract()


def executions(fields: list[str]) -> ExecutionFilter:
    c = Cursor(fields, 2)
    req_id, client_id, account = c.integer(), c.integer(), c.text()
    c.skip(1)  # time
    symbol, sec_type = c.text(), c.text()
    c.skip(1)  # exchange
    return ExecutionFilter(req_id, client_id, account, symbol, sec_type, c.text())
