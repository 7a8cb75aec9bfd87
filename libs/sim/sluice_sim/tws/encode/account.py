"""Account, portfolio, position and account-summary messages."""

from __future__ import annotations

from decimal import Decimal

from sluice_sim.tws.fields import Fields, contract, message
from sluice_sim.venue import Instrument


def account_value(key: str, value: str, currency: str, account: str) -> Fields:
    return message(6, 2, key, value, currency, account)


def portfolio(
    inst: Instrument,
    *,
    account: str,
    position: Decimal,
    price: Decimal,
    avg_cost: Decimal,
    unrealized: Decimal,
    realized: Decimal,
) -> Fields:
    """updatePortfolio: the contract block with primaryExchange in exchange's place."""
    value = position * price * inst.multiplier
    return [
        *message(7, 8),
        *contract(inst, inst.primary_exchange),
        *message(position, price, value, avg_cost, unrealized, realized, account),
    ]


def account_time(hh_mm: str) -> Fields:
    return message(8, 1, hh_mm)


def account_download_end(account: str) -> Fields:
    return message(54, 1, account)


def position(account: str, inst: Instrument, quantity: Decimal, avg_cost: Decimal) -> Fields:
    return [*message(61, 3, account), *contract(inst), *message(quantity, avg_cost)]


def position_end() -> Fields:
    return message(62, 1)


def position_multi(
    req_id: int, account: str, inst: Instrument, quantity: Decimal, avg_cost: Decimal
) -> Fields:
    return [*message(71, 1, req_id, account), *contract(inst), *message(quantity, avg_cost, "")]


def position_multi_end(req_id: int) -> Fields:
    return message(72, 1, req_id)


def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> Fields:
    return message(63, 1, req_id, account, tag, value, currency)


def account_summary_end(req_id: int) -> Fields:
    return message(64, 1, req_id)


def account_update_multi(req_id: int, account: str, key: str, value: str, currency: str) -> Fields:
    return message(73, 1, req_id, account, "", key, value, currency)


def account_update_multi_end(req_id: int) -> Fields:
    return message(74, 1, req_id)


def pnl(req_id: int, daily: Decimal, unrealized: Decimal, realized: Decimal) -> Fields:
    """PNL (94): reqId, dailyPnL, unrealizedPnL, realizedPnL (no version field; TWS API
    ``EDecoder.processPnLMsg``)."""
    return message(94, req_id, daily, unrealized, realized)
