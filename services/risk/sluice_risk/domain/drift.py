"""Position drift: risk's book (from Sluice's own fills) against the broker's positions.

Pure functions. A snapshot of the broker can race a fill: IBKR may count a fill the router has
not relayed, or risk not booked, yet. Two rules keep such races from halting an account:

- a difference Sluice's own working orders in the instrument could explain (at most their
  unfilled buys above the book, their unfilled sells below it) is not judged while they work;
- a drift is *confirmed* only when the next snapshot shows the same instrument off by the same
  amount: Sluice's fills move the book and the broker alike, so a real difference (an order
  placed by hand, a transfer, a corporate action) keeps its size, while a race does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from sluice_proto import BrokerPosition, Instrument
from sluice_proto.risk_state import PositionDrift
from sluice_risk.domain.market import instrument_key

Tolerance = Callable[[Instrument], Decimal]
"""The largest difference in an instrument that is not a drift (``max_position_drift``)."""


def compare(
    book: Mapping[str, tuple[Instrument, Decimal]],
    broker: Iterable[BrokerPosition],
    tolerance: Tolerance,
    working: Mapping[str, tuple[Decimal, Decimal]] | None = None,
    lines: Mapping[int, str] | None = None,
) -> list[PositionDrift]:
    """Every instrument whose broker position differs from the book by more than its tolerance
    and more than Sluice's working orders could explain.

    ``book`` maps the instrument key (``instrument_key``) to the instrument and risk's signed
    quantity; an instrument missing on either side counts as flat there. ``working`` maps a key
    to the unfilled quantity of Sluice's working buys and sells in it. ``lines`` maps a conId
    Sluice traded to its book line: a broker position in that conId is that line, however the
    two name the contract (a signal's front-month future, IBKR's expiry date). Sorted by key.
    """
    working, lines = working or {}, lines or {}
    held: dict[str, tuple[Instrument, Decimal]] = {}
    for position in broker:  # one line per instrument, but add up any the broker splits
        key = line_of(position.instrument, lines)
        before = held.get(key, (position.instrument, Decimal(0)))[1]
        held[key] = (position.instrument, before + position.quantity)
    drift = []
    for key in sorted(book.keys() | held.keys()):
        instrument = (book.get(key) or held[key])[0]
        ours = book[key][1] if key in book else Decimal(0)
        theirs = held[key][1] if key in held else Decimal(0)
        buys, sells = working.get(key, (Decimal(0), Decimal(0)))
        slack = tolerance(instrument)
        if theirs - ours > buys + slack or ours - theirs > sells + slack:
            drift.append(PositionDrift(instrument=instrument, book=ours, broker=theirs))
    return drift


def line_of(instrument: Instrument, lines: Mapping[int, str]) -> str:
    """The book line of a broker position: the one its conId was traded in, else its key."""
    known = lines.get(instrument.con_id) if instrument.con_id else None
    return known or instrument_key(instrument)


def confirmed(
    previous: Iterable[PositionDrift], current: Iterable[PositionDrift]
) -> list[PositionDrift]:
    """The drifts of ``current`` that ``previous`` (the snapshot before) showed by the same
    amount: real differences, not a snapshot racing a fill."""
    seen = {(instrument_key(d.instrument), d.broker - d.book) for d in previous}
    return [d for d in current if (instrument_key(d.instrument), d.broker - d.book) in seen]


def describe(drift: Iterable[PositionDrift]) -> str:
    """One line for a rejection message, e.g. ``AAPL: book 0, broker 100``."""
    return "; ".join(f"{d.instrument.symbol}: book {d.book}, broker {d.broker}" for d in drift)
