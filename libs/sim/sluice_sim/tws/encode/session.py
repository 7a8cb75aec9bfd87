"""Connection-level messages: accounts, ids, time, errors, market data type."""

from __future__ import annotations

from collections.abc import Iterable

from sluice_sim.tws.fields import Fields, message

NO_ID = -1


def managed_accounts(accounts: Iterable[str]) -> Fields:
    return message(15, 1, ",".join(accounts))


def next_valid_id(order_id: int) -> Fields:
    return message(9, 1, order_id)


def current_time(epoch_seconds: int) -> Fields:
    return message(49, 1, epoch_seconds)


def error(req_id: int, code: int, text: str, advanced_reject: str = "") -> Fields:
    """Error / info message; since v166 it ends with ``advancedOrderRejectJson``."""
    return message(4, 2, req_id, code, text, advanced_reject)


def market_data_type(req_id: int, data_type: int) -> Fields:
    return message(58, 1, req_id, data_type)
