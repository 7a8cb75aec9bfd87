"""Contract lookup over the Client Portal: every contract that fits an instrument.

The endpoints (IBKR's Web API reference; the same paths and fields are in IBKR's published
OpenAPI description, as generated into e.g. the ``ib`` crate's ``SecdefInfo`` and
``FuturesInner`` models, and in IBind's contract mixin):

- stocks and other listings: ``POST /iserver/secdef/search`` (one result per listing), then
  ``GET /iserver/contract/{conid}/info`` for each, whose exchange and currency decide;
- futures: ``GET /trsrv/futures?symbols=`` (each month's conId and last trade date ``ltd``),
  then the contract info of the months that fit;
- options and futures options: the underlying from ``/iserver/secdef/search`` (a result with a
  section of that type), ``GET /iserver/secdef/strikes`` (is the strike listed that month?),
  then ``GET /iserver/secdef/info`` with month (``DEC26``), exchange, strike and right.

The choice among the contracts found is ``domain.qualify``'s, as on the socket path.
"""

from __future__ import annotations

from sluice_proto import Instrument

from . import parsing
from .client import CpClient

_OPTION_TYPES = frozenset({"OPT", "FOP"})


async def candidates(client: CpClient, instrument: Instrument) -> list[Instrument]:
    """Every contract IBKR lists that may be the instrument (the caller picks exactly one)."""
    if instrument.sec_type == "FUT":
        return await _futures(client, instrument)
    if instrument.sec_type in _OPTION_TYPES:
        return await _options(client, instrument)
    return await _listings(client, instrument)


async def _info(
    client: CpClient, con_id: int, wanted: Instrument, expiry: str | None = None
) -> Instrument:
    raw = await client.request("GET", f"/iserver/contract/{con_id}/info")
    return parsing.contract_info(raw, wanted, expiry)


async def _listings(client: CpClient, wanted: Instrument) -> list[Instrument]:
    query = {"symbol": wanted.symbol, "secType": wanted.sec_type}
    body = await client.request("POST", "/iserver/secdef/search", json=query)
    return [await _info(client, c, wanted) for c in parsing.search_con_ids(body, wanted.sec_type)]


async def _futures(client: CpClient, wanted: Instrument) -> list[Instrument]:
    body = await client.request("GET", "/trsrv/futures", params={"symbols": wanted.symbol})
    expiry = wanted.last_trade_date_or_contract_month or ""
    months = [(c, ltd) for c, ltd in parsing.futures(body, wanted.symbol) if ltd.startswith(expiry)]
    return [await _info(client, c, wanted, ltd) for c, ltd in months]


async def _options(client: CpClient, wanted: Instrument) -> list[Instrument]:
    expiry, strike, right = wanted.last_trade_date_or_contract_month, wanted.strike, wanted.right
    if expiry is None or strike is None or right is None:
        return []  # named by local symbol alone: the Client Portal cannot look that up
    body = await client.request("POST", "/iserver/secdef/search", json={"symbol": wanted.symbol})
    month = parsing.month_code(expiry)
    found: list[Instrument] = []
    for underlying in parsing.search_con_ids(body, wanted.sec_type):
        params = {
            "conid": str(underlying), "sectype": wanted.sec_type, "month": month,
            "exchange": wanted.exchange,
        }  # fmt: skip
        strikes = await client.request("GET", "/iserver/secdef/strikes", params=params)
        if not parsing.has_strike(strikes, strike, right):
            continue
        params |= {"strike": format(strike.normalize(), "f"), "right": right}
        listed = await client.request("GET", "/iserver/secdef/info", params=params)
        found += [parsing.secdef_info(raw, wanted) for raw in listed if isinstance(raw, dict)]
    return found
