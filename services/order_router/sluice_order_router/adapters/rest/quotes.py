"""Market data over the Web API's WebSocket (pure): the ``smd`` topic and its messages.

IBKR pushes only the fields that changed since its last message for a conId, so the book
keeps each instrument's last values and hands on the merged quote, as the socket path's ticks.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sluice_proto import Instrument

Ticks = dict[str, Decimal | None]

FIELDS = {
    "84": "bid",
    "86": "ask",
    "31": "last",
    "88": "bid_size",
    "85": "ask_size",
    "7059": "last_size",
}
"""IBKR's market-data field ids and the tick names they feed."""
_SUFFIX = {"K": Decimal(1_000), "M": Decimal(1_000_000)}
_NUMBER = re.compile(r"^[A-Za-z]*(-?[\d,]*\.?\d+)([KM]?)$")


def subscribe_message(con_id: int) -> str:
    """``smd+<conid>+{"fields": [...]}``: start (or renew) one instrument's stream."""
    return f"smd+{con_id}+{json.dumps({'fields': list(FIELDS)})}"


def unsubscribe_message(con_id: int) -> str:
    return f"umd+{con_id}+{{}}"


def field_value(raw: Any) -> Decimal | None:
    """A field as a number: IBKR may prefix a price (``C`` closing, ``H`` halted) and write
    sizes with thousands separators or a K/M suffix."""
    match = _NUMBER.match(str(raw).strip())
    if match is None:
        return None
    try:
        value = Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        return None
    return value * _SUFFIX[match.group(2)] if match.group(2) else value


class QuoteBook:
    """The subscribed instruments by conId, with the last value of every field."""

    def __init__(self) -> None:
        self._by_con_id: dict[int, Instrument] = {}
        self._last: dict[int, Ticks] = {}

    @property
    def con_ids(self) -> list[int]:
        return list(self._by_con_id)

    def add(self, instrument: Instrument) -> int | None:
        """Subscribe a qualified instrument; its conId (None without one)."""
        if instrument.con_id is None:
            return None
        self._by_con_id[instrument.con_id] = instrument
        return instrument.con_id

    def remove(self, instrument: Instrument) -> list[int]:
        """Forget an instrument; the conIds to unsubscribe."""
        gone = [c for c, i in self._by_con_id.items() if i.key == instrument.key]
        for con_id in gone:
            del self._by_con_id[con_id]
            self._last.pop(con_id, None)
        return gone

    def update(self, message: dict[str, Any]) -> tuple[Instrument, Ticks] | None:
        """An ``smd`` message merged into the last quote; None when it carries no price."""
        try:
            con_id = int(message.get("conid") or str(message.get("topic", "")).split("+")[1])
        except (ValueError, IndexError):
            return None
        instrument = self._by_con_id.get(con_id)
        changed = {name: field_value(message[f]) for f, name in FIELDS.items() if f in message}
        if instrument is None or not changed:
            return None
        last = self._last.setdefault(con_id, dict.fromkeys(FIELDS.values()))
        last.update(changed)
        return instrument, dict(last)
