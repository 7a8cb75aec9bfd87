"""Qualified instruments, cached per instrument (one lookup at IBKR per instrument)."""

from __future__ import annotations

from sluice_order_router.ports import BrokerGateway
from sluice_proto import Instrument, utc_now


class ContractCache:
    """``Instrument.key`` → the contract IBKR has for it (conId and every term).

    A continuous future (``roll``) is cached for the day only: the roll rule may pick the
    next month tomorrow.
    """

    def __init__(self, gateway: BrokerGateway) -> None:
        self._gateway = gateway
        self._known: dict[str, Instrument] = {}

    async def qualify(self, instrument: Instrument) -> Instrument:
        """The qualified contract; ``BrokerRejectedError`` (``AmbiguousInstrumentError``) and
        ``NotConnectedError`` pass up."""
        if instrument.con_id:
            return instrument
        key = instrument.key
        if instrument.roll is not None:
            key = f"{key}@{utc_now().date().isoformat()}"
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = await self._gateway.qualify(instrument)
        return known
