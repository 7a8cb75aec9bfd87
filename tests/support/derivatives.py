"""The simulators' derivatives and twin listings, as instruments a signal names."""

from __future__ import annotations

from decimal import Decimal

from sluice_bus import MemoryBroker
from sluice_order_router.domain.qualify import front_month
from sluice_proto import Instrument, utc_now
from sluice_proto.orders import OrderFilled, OrderSubmitting
from tests.support.orders import approved, kinds, of, send
from tests.support.polling import eventually

ES_DEC26 = Instrument(
    symbol="ES", sec_type="FUT", exchange="CME", last_trade_date_or_contract_month="202612"
)
ES_DEC26_CON_ID = 637533641
ES_FRONT = Instrument(symbol="ES", sec_type="FUT", exchange="CME", roll="front")
ES_MONTHS = {"20261218": 637533641, "20270319": 649180695, "20270618": 661016514}
AAPL_CALL = Instrument(
    symbol="AAPL", sec_type="OPT", last_trade_date_or_contract_month="20261218",
    strike=Decimal(200), right="C",
)  # fmt: skip
AAPL_CALL_CON_ID = 700000007
"""The chain counts expiry x strike x right up from 700000001: Dec 18, 200, C is the 7th."""
AAPL_CALL_DEC = Instrument(
    symbol="AAPL", sec_type="OPT", last_trade_date_or_contract_month="202612",
    strike=Decimal(200), right="C",
)  # fmt: skip
"""Ambiguous: December 2026 has a weekly (11th) and the monthly (18th) expiry."""
ES_CALL = Instrument(
    symbol="ES", sec_type="FOP", exchange="CME", last_trade_date_or_contract_month="20261218",
    strike=Decimal(5300), right="C",
)  # fmt: skip
ES_CALL_CON_ID = 710000001
SHOP_CAD = Instrument(symbol="SHOP", currency="CAD")
SHOP_CAD_CON_ID, SHOP_USD_CON_ID = 195014125, 195014116


def signal_fields(instrument: Instrument) -> dict[str, object]:
    """The instrument as a signal's fields (``Signal`` carries them flat), symbol aside."""
    return {f: getattr(instrument, f) for f in instrument.__struct_fields__ if f != "symbol"}


def front_es_con_id() -> int:
    """The ES month the router's roll rule picks today (the rule itself is unit-tested)."""
    months = [
        Instrument(
            symbol="ES",
            sec_type="FUT",
            exchange="CME",
            con_id=con_id,
            last_trade_date_or_contract_month=ltd,
        )
        for ltd, con_id in ES_MONTHS.items()
    ]
    [front] = front_month(months, utc_now().date())
    assert front.con_id is not None
    return front.con_id


async def filled_contract(broker: MemoryBroker, coid: str, instrument: Instrument) -> Instrument:
    """Send a market order for one ``instrument``; once filled, the contract it qualified to
    (``OrderSubmitting.contract``)."""
    await send(broker, approved(coid, instrument=instrument, quantity=Decimal(1)))
    await eventually(lambda: OrderFilled in kinds(broker, coid), what=f"{coid} filled")
    [submitting] = [e for e in of(broker, coid) if isinstance(e, OrderSubmitting)]
    assert submitting.contract is not None and submitting.con_id == submitting.contract.con_id
    return submitting.contract
