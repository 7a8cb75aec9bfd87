"""Quote streaming over the Client Portal: snapshot polling (with its pre-flight call)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sluice_order_router.ports import OnTick
from sluice_proto import Instrument

from .client import CpClient

FIELDS = {"84": "bid", "86": "ask", "31": "last", "88": "bid_size", "85": "ask_size"}


async def _ignore(_: Instrument, __: dict[str, Decimal | None]) -> None:
    return None


def _ticks(raw: dict[str, Any]) -> dict[str, Decimal | None]:
    return {
        name: Decimal(str(raw[code])) if raw.get(code) else None for code, name in FIELDS.items()
    }


class QuotePoller:
    """The subscribed instruments, polled together; the first answer per conId is empty."""

    def __init__(self, client: CpClient) -> None:
        self._client = client
        self._by_con_id: dict[int, Instrument] = {}
        self.on_tick: OnTick = _ignore

    def add(self, instrument: Instrument) -> None:
        if instrument.con_id is not None:
            self._by_con_id[instrument.con_id] = instrument

    def remove(self, instrument: Instrument) -> None:
        self._by_con_id = {c: i for c, i in self._by_con_id.items() if i.key != instrument.key}

    async def poll(self) -> None:
        """One snapshot request for every subscribed instrument; ticks for those with data."""
        if not self._by_con_id:
            return
        params = {"conids": ",".join(map(str, self._by_con_id)), "fields": ",".join(FIELDS)}
        body = await self._client.request("GET", "/iserver/marketdata/snapshot", params=params)
        for raw in body if isinstance(body, list) else []:
            instrument = self._by_con_id.get(int(raw.get("conid", 0)))
            ticks = _ticks(raw)
            if instrument is not None and any(v is not None for v in ticks.values()):
                await self.on_tick(instrument, ticks)
