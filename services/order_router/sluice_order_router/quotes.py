"""Market-data streams the market-data service asks for, relayed as raw ticks.

The router remembers what is wanted, so a reconnect or IBKR's 1101 (restored, data lost)
re-subscribes everything, and 1102 (data kept) what was asked for while the link was down; a
failure is relayed as an ``MdTick`` carrying the error and, when
IBKR refused the stream for good, its reason in the contract's words (an instrument that
qualifies to several contracts: ``AMBIGUOUS_INSTRUMENT`` with the candidates).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from sluice_order_router.domain.md_refusals import md_refusal
from sluice_order_router.ports import (
    AmbiguousInstrumentError,
    BrokerGateway,
    BrokerRejectedError,
    NotConnectedError,
)
from sluice_order_router.publisher import Publisher
from sluice_proto import Instrument
from sluice_proto.market_data import MdRefusalReason, MdRequest, MdStart, MdTick


class QuoteRelay:
    """``sluice.md.requests.v1`` in, ``sluice.md.ticks.v1`` out."""

    def __init__(self, gateway: BrokerGateway, publisher: Publisher) -> None:
        self._gateway = gateway
        self._publish = publisher
        self._wanted: dict[str, Instrument] = {}
        self._deferred: set[str] = set()  # wanted while the link was down: not asked for yet

    async def request(self, request: MdRequest) -> None:
        """Start or stop streaming an instrument."""
        key = request.instrument.key
        if isinstance(request, MdStart):
            self._wanted[key] = request.instrument
            await self._subscribe(request.instrument)
        elif self._wanted.pop(key, None) is not None:
            self._deferred.discard(key)
            await self._gateway.unsubscribe_quotes(request.instrument)

    async def resubscribe(self) -> None:
        """Subscribe everything wanted again (after a reconnect or 1101)."""
        for instrument in list(self._wanted.values()):
            await self._subscribe(instrument)

    async def resume(self) -> None:
        """Subscribe what was asked for while the link was down (after 1102: IBKR kept the
        streams already running)."""
        for key in list(self._deferred):
            instrument = self._wanted.get(key)
            if instrument is not None:
                await self._subscribe(instrument)

    async def tick(self, instrument: Instrument, prices: dict[str, Decimal | None]) -> None:
        """Relay one price update."""
        fields = ("bid", "ask", "last", "bid_size", "ask_size", "last_size")
        values = {name: prices.get(name) for name in fields}
        await self._publish.tick(msgspec.convert({"instrument": instrument, **values}, MdTick))

    async def _subscribe(self, instrument: Instrument) -> None:
        self._deferred.add(instrument.key)  # until the gateway has taken the request
        if not self._gateway.connected:
            return  # ``resubscribe`` or ``resume`` runs once the link is up
        try:
            await self._gateway.subscribe_quotes(instrument)
        except NotConnectedError:
            return
        except BrokerRejectedError as exc:
            await self.refused(instrument, exc)
        else:
            self._deferred.discard(instrument.key)

    async def refused(self, instrument: Instrument, error: BrokerRejectedError) -> None:
        """IBKR will not stream ``instrument`` (at once, or later on the socket): stop wanting
        it and relay why."""
        self._wanted.pop(instrument.key, None)
        self._deferred.discard(instrument.key)
        reason: MdRefusalReason | None = md_refusal(error.code)
        candidates: list[Instrument] = []
        if isinstance(error, AmbiguousInstrumentError):  # code 200 too, but not unknown
            reason, candidates = "AMBIGUOUS_INSTRUMENT", error.candidates
        tick = MdTick(
            instrument=instrument,
            error_code=error.code,
            error_text=str(error),  # "IBKR <code>: <text>", what subscribers are told
            reason=reason,
            candidates=candidates,
        )
        await self._publish.tick(tick)
