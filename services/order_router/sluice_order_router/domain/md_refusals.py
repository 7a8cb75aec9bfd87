"""IBKR's market-data refusals in the contract's words: which codes end a stream, and why.

The router is the only place that reads IBKR's codes; market-data sees only the reason.
"""

from __future__ import annotations

from sluice_proto.market_data import MdRefusalReason

_REFUSALS: dict[int, MdRefusalReason] = {
    200: "UNKNOWN_INSTRUMENT",  # no security definition
    101: "LINE_LIMIT",  # max tickers reached: the account has fewer lines than configured
    354: "NOT_SUBSCRIBED",  # requested market data is not subscribed
    10090: "NOT_SUBSCRIBED",  # part of the requested data is not subscribed
    10168: "NOT_SUBSCRIBED",  # not subscribed, and delayed data is not enabled
    10089: "NO_PERMISSION",  # the data needs an additional subscription for the API
    10091: "NO_PERMISSION",  # part of the data needs an additional subscription for the API
}


def md_refusal(code: int | None) -> MdRefusalReason | None:
    """Why IBKR will not stream an instrument after error ``code``; None if it still may
    (informational codes such as 10167, delayed data)."""
    return _REFUSALS.get(code) if code is not None else None
