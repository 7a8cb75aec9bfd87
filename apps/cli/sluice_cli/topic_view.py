"""What the embedded stack's topics say right now: session verdict, quotes, kill switch, positions.

Reads the in-memory log directly, the way an operator would read the compacted topics.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sluice_bus import MemoryBroker
from sluice_proto import PositionState, Quote, RiskAccountState, SessionState
from sluice_proto.codec import decode
from sluice_proto.control import ALL_ACCOUNTS
from sluice_proto.topics import DLQ, MD_QUOTES, RISK_STATE, SESSION_STATE

CENT = Decimal("0.01")


class TopicView:
    """Latest values of the topics the demo watches."""

    def __init__(self, broker: MemoryBroker) -> None:
        self._broker = broker

    def _events(self, topic: str) -> list[Any]:
        return [decode(topic, record.value) for record in self._broker.records(topic)]

    def trading_allowed(self) -> bool:
        """The session-keeper's latest verdict."""
        states = [e for e in self._events(SESSION_STATE) if isinstance(e, SessionState)]
        return bool(states) and states[-1].trading_allowed

    def quote(self, symbol: str) -> Quote:
        """The newest two-sided quote of a symbol."""
        return max(self._two_sided(symbol), key=lambda quote: quote.ts)

    def have_quotes(self, symbols: Iterable[str]) -> bool:
        """True once every symbol has a two-sided quote."""
        return all(self._two_sided(symbol) for symbol in symbols)

    def _two_sided(self, symbol: str) -> list[Quote]:
        return [
            e
            for e in self._events(MD_QUOTES)
            if isinstance(e, Quote) and e.instrument.symbol == symbol and e.bid and e.ask
        ]

    def killed(self) -> bool | None:
        """Risk's kill switch for every account (None until risk has said)."""
        states = [
            e
            for e in self._events(RISK_STATE)
            if isinstance(e, RiskAccountState) and e.account == ALL_ACCOUNTS
        ]
        return states[-1].killed if states else None

    def positions(self) -> list[str]:
        """Risk's latest position per instrument, one line each."""
        latest: dict[str, PositionState] = {}
        for event in self._events(RISK_STATE):
            if isinstance(event, PositionState):
                latest[event.instrument.key] = event
        return [
            f"{p.instrument.symbol}: {p.quantity:f} @ {p.avg_cost.quantize(CENT)}, "
            f"realised {p.realised_pnl.quantize(CENT)}, "
            f"unrealised {p.unrealised_pnl.quantize(CENT)}"
            for p in latest.values()
        ]

    def dead_letters(self) -> int:
        """How many records went to the dead-letter topic."""
        return len(self._broker.records(DLQ))
