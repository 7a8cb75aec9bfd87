"""Historical bars from market-data's ``GET /history`` (HTTP, not Kafka).

Standard library HTTP in a worker thread: one GET per call does not justify a dependency the
rest of the client does not need.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

import msgspec

from sluice_client.errors import HistoryRefusedError, MarketDataUnreachableError
from sluice_proto import Instrument
from sluice_proto.history import Bar, WhatToShow


class History(msgspec.Struct, frozen=True, kw_only=True):
    """Bars oldest first; ``cached``: market-data answered from its cache."""

    instrument: Instrument
    bars: list[Bar]
    cached: bool = False


async def fetch_history(
    url: str,
    instrument: Instrument,
    *,
    duration: str,
    bar: str,
    end: datetime | None = None,
    what_to_show: WhatToShow = "TRADES",
    use_rth: bool = True,
    timeout_s: float = 120.0,
) -> History:
    """``duration`` (``1D``) back from ``end`` (None: now) in bars of ``bar`` (``5m``), from
    market-data at ``url``; ``HistoryRefusedError`` with the contract's reason otherwise."""
    query = {
        "symbol": instrument.symbol, "sec_type": instrument.sec_type,
        "exchange": instrument.exchange, "currency": instrument.currency,
        "duration": duration, "bar": bar, "what_to_show": what_to_show,
        "use_rth": str(use_rth).lower(),
    }  # fmt: skip
    if instrument.con_id is not None:
        query["con_id"] = str(instrument.con_id)
    if end is not None:
        query["end"] = end.isoformat()
    address = f"{url.rstrip('/')}/history?{urllib.parse.urlencode(query)}"
    status, body = await asyncio.to_thread(_get, address, timeout_s)
    if status != 200:
        problem = json.loads(body) if body.startswith(b"{") else {}
        raise HistoryRefusedError(
            str(problem.get("reason", status)), str(problem.get("message", body[:200]))
        )
    return msgspec.json.decode(body, type=History)


def _get(address: str, timeout_s: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(address, timeout=timeout_s) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()
    except (urllib.error.URLError, OSError) as exc:
        raise MarketDataUnreachableError(f"market-data unreachable at {address}: {exc}") from None
