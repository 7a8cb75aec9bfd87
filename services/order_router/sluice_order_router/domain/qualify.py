"""Which of IBKR's contracts an instrument names: the match, the roll rule, ambiguity (pure).

IBKR answers a contract lookup with every contract that fits the fields given (the socket's
``reqContractDetails``, the Client Portal's secdef endpoints). Sluice trades only when exactly
one contract is left after ``matches`` (and, for a continuous future, ``front_month``); more
than one is ambiguous and the order is rejected with the candidates, never guessed.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sluice_proto import Instrument

ROLL_DAYS = 8
"""The roll rule of ``roll="front"``: a future is the front month until ``ROLL_DAYS`` calendar
days before its last trade date; from then on the next month is (CME's equity-index roll,
about a week before expiry, is the model)."""


def _same(wanted: str | None, have: str | None) -> bool:
    return wanted is None or (have or "").upper() == wanted.upper()


def matches(wanted: Instrument, found: Instrument) -> bool:
    """True when ``found`` fits every field ``wanted`` sets.

    ``SMART`` fits any exchange; another exchange fits the contract's exchange or its primary
    listing. An expiry of ``YYYYMM`` fits every day of that month.
    """
    exchange_ok = wanted.exchange.upper() == "SMART" or wanted.exchange.upper() in {
        found.exchange.upper(),
        (found.primary_exchange or "").upper(),
    }
    expiry = wanted.last_trade_date_or_contract_month
    return (
        exchange_ok
        and found.sec_type == wanted.sec_type
        and found.symbol.upper() == wanted.symbol.upper()
        and found.currency == wanted.currency
        and (expiry is None or (found.last_trade_date_or_contract_month or "").startswith(expiry))
        and (wanted.strike is None or found.strike == wanted.strike)
        and (wanted.right is None or found.right == wanted.right)
        and (wanted.multiplier is None or (found.multiplier or 1) == wanted.multiplier)
        and _same(wanted.trading_class, found.trading_class)
        and _same(wanted.local_symbol, found.local_symbol)
        and _same(wanted.primary_exchange, found.primary_exchange)
    )


def last_trade_date(contract: Instrument) -> date | None:
    """The contract's last trade date, when IBKR gave a full ``YYYYMMDD``."""
    raw = contract.last_trade_date_or_contract_month or ""
    if len(raw) < 8 or not raw[:8].isdigit():
        return None
    return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))


def front_month(
    futures: list[Instrument], today: date, roll_days: int = ROLL_DAYS
) -> list[Instrument]:
    """The futures of the earliest last trade date that is more than ``roll_days`` away.

    Usually one contract; several (listed alike on two exchanges, say) stay ambiguous.
    """
    dated = [(d, f) for f in futures if (d := last_trade_date(f)) is not None]
    live = [(d, f) for d, f in dated if d - timedelta(days=roll_days) > today]
    if not live:
        return []
    first = min(d for d, _ in live)
    return [f for d, f in live if d == first]


def choose(wanted: Instrument, found: list[Instrument], today: date) -> list[Instrument]:
    """The contracts of ``found`` that ``wanted`` names, once each, by conId; exactly one
    means qualified, none unknown, several ambiguous."""
    unique = {f.con_id: f for f in found if matches(wanted, f)}
    fitting = sorted(unique.values(), key=_order)
    if wanted.roll == "front":
        return front_month(fitting, today)
    return fitting


def _order(contract: Instrument) -> tuple[str, Decimal, str, str, str, str, int]:
    """Candidates in a stable, readable order: expiry, strike, right, exchange (primary
    listing), currency, conId."""
    return (
        contract.last_trade_date_or_contract_month or "",
        contract.strike or Decimal(0),
        contract.right or "",
        contract.exchange,
        contract.primary_exchange or "",
        contract.currency,
        contract.con_id or 0,
    )
