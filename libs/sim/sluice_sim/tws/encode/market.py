"""Market data and contract details messages."""

from __future__ import annotations

from decimal import Decimal

from sluice_sim.tws.fields import Fields, message, multiplier
from sluice_sim.venue import Instrument

# IBKR tick type ids
BID_SIZE, BID, ASK, ASK_SIZE, LAST, LAST_SIZE, VOLUME, CLOSE = 0, 1, 2, 3, 4, 5, 8, 9


def tick_price(req_id: int, tick_type: int, price: Decimal, size: Decimal) -> Fields:
    """tickPrice carries the matching size (bid/ask/last); attribute mask 0."""
    return message(1, 6, req_id, tick_type, price, size, 0)


def tick_size(req_id: int, tick_type: int, size: Decimal) -> Fields:
    return message(2, 6, req_id, tick_type, size)


def tick_req_params(req_id: int, min_tick: Decimal) -> Fields:
    return message(81, req_id, min_tick, "", 3)


def tick_snapshot_end(req_id: int) -> Fields:
    return message(57, 1, req_id)


def contract_details(req_id: int, inst: Instrument) -> Fields:
    """contractDetails for server versions >= 164 (no message version field)."""
    valid_exchanges = (
        inst.exchange if inst.exchange != "SMART" else f"SMART,{inst.primary_exchange}"
    )
    return message(
        10,
        req_id,
        inst.symbol,
        inst.sec_type,
        inst.last_trade_date,
        inst.strike,
        inst.right,
        inst.exchange,
        inst.currency,
        inst.local_symbol,
        inst.trading_class,  # marketName
        inst.trading_class,
        inst.con_id,
        inst.min_tick,
        multiplier(inst),
        inst.order_types,
        valid_exchanges,
        1,  # priceMagnifier
        0,  # underConId
        inst.long_name,
        inst.primary_exchange,
        inst.contract_month,
        inst.industry,
        inst.category,
        inst.subcategory,
        inst.time_zone,
        "",  # tradingHours
        "",  # liquidHours
        "",  # evRule
        "",  # evMultiplier
        0,  # secIdList count
        1,  # aggGroup
        "",  # underSymbol
        "",  # underSecType
        "26",  # marketRuleIds
        inst.last_trade_date,  # realExpirationDate
        inst.stock_type if inst.sec_type == "STK" else "",
        inst.min_size,
        inst.min_size,  # sizeIncrement
        inst.min_size,  # suggestedSizeIncrement
    )


def contract_details_end(req_id: int) -> Fields:
    return message(52, 1, req_id)
