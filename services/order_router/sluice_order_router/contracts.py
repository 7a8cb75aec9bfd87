"""Qualified instruments, cached per instrument (one lookup at IBKR per instrument)."""

from __future__ import annotations

from sluice_order_router.ports import BrokerGateway
from sluice_proto import Instrument


class ContractCache:
    """``Instrument.key`` → the instrument with IBKR's conId."""

    def __init__(self, gateway: BrokerGateway) -> None:
        self._gateway = gateway
        self._known: dict[str, Instrument] = {}

    async def qualify(self, instrument: Instrument) -> Instrument:
        """The qualified instrument; ``BrokerRejectedError`` / ``NotConnectedError`` pass up."""
        if instrument.con_id:
            return instrument
        known = self._known.get(instrument.key)
        if known is None:
            known = self._known[instrument.key] = await self._gateway.qualify(instrument)
        return known
