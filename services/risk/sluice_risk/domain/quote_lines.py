"""Which instruments risk holds a market-data subscription for, and when to let each go.

Every instrument streaming holds one of the account's IBKR market-data lines (100 by default),
so risk releases what it subscribed once it has not needed the quote for an idle period: no
signal waited for or was decided on it, and no position or working order of it is marked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sluice_proto import Instrument
from sluice_risk.domain.market import instrument_key


class QuoteLines:
    """Risk's own subscriptions by ``instrument_key``, each with when its quote was last needed."""

    def __init__(self, idle: timedelta) -> None:
        self.idle = idle
        self._held: dict[str, tuple[Instrument, datetime]] = {}

    def hold(self, instrument: Instrument, now: datetime) -> bool:
        """Risk needs the instrument's quotes now; True when it must subscribe (not held yet)."""
        key = instrument_key(instrument)
        held = self._held.get(key)
        if held is not None:
            self._held[key] = (held[0], max(held[1], now))
            return False
        self._held[key] = (instrument, now)
        return True

    def need(self, instrument: Instrument, now: datetime) -> None:
        """Risk used the instrument's quote now: keep the subscription if it holds one."""
        if instrument_key(instrument) in self._held:
            self.hold(instrument, now)

    def drop(self, instrument: Instrument) -> None:
        """Forget a subscription market-data refused (a later need subscribes again)."""
        self._held.pop(instrument_key(instrument), None)

    def release_idle(self, needed: Iterable[Instrument], now: datetime) -> list[Instrument]:
        """Refresh the ``needed`` ones, then forget and return those idle for ``idle`` or more."""
        for instrument in needed:
            self.need(instrument, now)
        idle = [key for key, (_, last) in self._held.items() if now - last >= self.idle]
        return [self._held.pop(key)[0] for key in idle]

    def instruments(self) -> list[Instrument]:
        """The instruments risk holds a subscription for, as it subscribed them."""
        return [instrument for instrument, _ in self._held.values()]
