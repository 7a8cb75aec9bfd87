"""reqHistoricalData (message 20): deterministic bars, IBKR's pacing rules and refusals."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sluice_sim.tws.encode.history import bar_time, historical_data
from sluice_sim.tws.handlers.market import resolve_one
from sluice_sim.tws.history_pacing import SMALL_BAR_S
from sluice_sim.tws.requests import Cursor
from sluice_sim.tws.session import Session
from sluice_sim.venue import ContractQuery
from sluice_sim.venue.history import BAR_SIZES, bars, duration_seconds

LEGAL_BAR_SIZES = (
    "1 secs, 5 secs, 10 secs, 15 secs, 30 secs, 1 min, 2 mins, 3 mins, 5 mins, 10 mins, "
    "15 mins, 20 mins, 30 mins, 1 hour, 2 hours, 3 hours, 4 hours, 8 hours, 1 day, 1W, 1M"
)
BAD_BAR_SIZE = (
    "Error validating request:-'bI' : cause - Historical data bar size setting is invalid. "
    f"Legal ones are: {LEGAL_BAR_SIZES}"
)
BAD_END = "Error validating request:-'bI' : cause - Historical data end date is invalid."
BAD_DURATION = "Error validating request:-'bI' : cause - Historical data duration is invalid."
PACING = "Historical Market Data Service error message:Historical data request pacing violation"
MAX_BARS = "Historical Market Data Service error message:Time length exceed max."

BAR_LIMIT = 2000
"""More bars than this in one answer is refused, as IBKR does with 'Time length exceed max.'"""
_ALIASES = {"1W": "1 week", "1M": "1 month"}

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    req_id: int
    query: ContractQuery
    end: str
    bar_size: str
    duration: str
    use_rth: bool
    what_to_show: str
    format_date: int


def decode(fields: list[str]) -> HistoryRequest:
    """As ib_async encodes it at server version 176 (no message version field)."""
    c = Cursor(fields)
    req_id, query = c.integer(), c.contract()
    c.skip(1)  # includeExpired
    end, bar_size, duration = c.text(), c.text(), c.text()
    use_rth, what_to_show, format_date = c.flag(), c.text(), c.integer() or 1
    return HistoryRequest(
        req_id, query, end, bar_size, duration, use_rth, what_to_show, format_date
    )


def _end_time(text: str, now: datetime) -> datetime | None:
    """The request's end: empty is now; ``yyyyMMdd HH:mm:ss [zone]`` or ``yyyyMMdd-HH:mm:ss``
    (UTC), as IBKR accepts it."""
    text = text.strip()
    if not text:
        return now
    if len(text) > 8 and text[8] == "-":
        text = f"{text[:8]} {text[9:]}"
    day, _, rest = text.partition(" ")
    clock, _, zone = rest.strip().partition(" ")
    try:
        naive = datetime.strptime(f"{day} {clock}", "%Y%m%d %H:%M:%S")
        return naive.replace(tzinfo=ZoneInfo(zone) if zone else UTC)
    except (ValueError, KeyError):
        return None


def req_historical_data(session: Session, fields: list[str]) -> None:
    """Bars up to the request's end, ending at the instrument's current mid; never silence."""
    request = decode(fields)
    session.server.counters.history_requests += 1
    bar_s = BAR_SIZES.get(_ALIASES.get(request.bar_size, request.bar_size))
    duration_s = duration_seconds(request.duration)
    if bar_s is None:
        session.send_error(request.req_id, 321, BAD_BAR_SIZE)
        return
    if duration_s is None:
        session.send_error(request.req_id, 321, BAD_DURATION)
        return
    inst = resolve_one(session, request.req_id, request.query)
    if inst is None:
        return
    venue = session.venue
    end = _end_time(request.end, venue.clock())
    if end is None:
        session.send_error(request.req_id, 321, BAD_END)
        return
    if -(-duration_s // bar_s) > BAR_LIMIT:
        session.send_error(request.req_id, 162, MAX_BARS)
        return
    key = (
        inst.con_id,
        request.what_to_show,
        end if request.end else "",
        request.bar_size,
        request.duration,
        request.use_rth,
    )
    if bar_s <= SMALL_BAR_S and not session.server.history_pacing.admit(key):
        log.warning("pacing: historical data request %d refused (162)", request.req_id)
        session.server.counters.history_pacing_violations += 1
        session.send_error(request.req_id, 162, PACING)
        return
    quote, zone = venue.quotes.quote(inst.con_id), ZoneInfo(inst.time_zone)
    end = end.astimezone(zone)
    found = bars(
        inst,
        (quote.bid + quote.ask) / 2,
        end=end,
        duration_s=duration_s,
        bar_s=bar_s,
        what_to_show=request.what_to_show,
        seed=venue.config.seed,
    )
    answer = historical_data(
        request.req_id,
        found,
        start=bar_time(found[0].start, daily=False, format_date=1),
        end=bar_time(end, daily=False, format_date=1),
        daily=bar_s >= BAR_SIZES["1 day"],
        format_date=request.format_date,
    )
    session.send(answer)
