"""Choosing one contract out of IBKR's answer: the match, the roll rule, ambiguity (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sluice_order_router.domain.qualify import ROLL_DAYS, choose, front_month, matches
from sluice_order_router.ports import AmbiguousInstrumentError, BrokerRejectedError, one_contract
from sluice_proto import Instrument


def _future(con_id: int, ltd: str, exchange: str = "CME") -> Instrument:
    return Instrument(
        symbol="ES", sec_type="FUT", exchange=exchange, con_id=con_id,
        last_trade_date_or_contract_month=ltd, multiplier=Decimal(50),
    )  # fmt: skip


DEC, MAR, JUN = _future(1, "20261218"), _future(2, "20270319"), _future(3, "20270618")
FRONT = Instrument(symbol="ES", sec_type="FUT", exchange="CME", roll="front")


def _listing(con_id: int, primary: str, currency: str) -> Instrument:
    return Instrument(
        symbol="SHOP", exchange="SMART", primary_exchange=primary, currency=currency,
        con_id=con_id,
    )  # fmt: skip


NYSE, TSE = _listing(10, "NYSE", "USD"), _listing(11, "TSE", "CAD")


@pytest.mark.parametrize(
    ("wanted", "fits"),
    [
        (Instrument(symbol="SHOP", currency="CAD"), [TSE]),
        (Instrument(symbol="SHOP", exchange="NYSE"), [NYSE]),
        (Instrument(symbol="SHOP", exchange="TSE", currency="USD"), []),
        (Instrument(symbol="SHOP", primary_exchange="TSE", currency="CAD"), [TSE]),
    ],
)
def test_a_listing_must_fit_the_exchange_and_the_currency(
    wanted: Instrument, fits: list[Instrument]
) -> None:
    assert [c for c in (NYSE, TSE) if matches(wanted, c)] == fits


def test_a_contract_month_fits_every_day_of_the_month_and_the_terms_must_agree() -> None:
    month = Instrument(
        symbol="ES", sec_type="FUT", exchange="CME", last_trade_date_or_contract_month="202612"
    )
    assert matches(month, DEC) and not matches(month, MAR)
    assert not matches(Instrument(**{**_fields(month), "multiplier": Decimal(5)}), DEC)
    assert matches(Instrument(**{**_fields(month), "exchange": "SMART"}), DEC)  # SMART fits any
    assert matches(Instrument(symbol="SHOP", currency="CAD", multiplier=Decimal(1)), TSE)


def _fields(instrument: Instrument) -> dict[str, object]:
    return {f: getattr(instrument, f) for f in instrument.__struct_fields__}


@pytest.mark.parametrize(
    ("today", "front"),
    [
        (date(2026, 12, 3), DEC),
        (date(2026, 12, 9), DEC),  # the last day before the roll: 18 - 8 = the 10th
        (date(2026, 12, 10), MAR),  # rolled
        (date(2027, 6, 9), JUN),
    ],
)
def test_the_front_month_rolls_roll_days_before_the_last_trade_date(
    today: date, front: Instrument
) -> None:
    assert ROLL_DAYS == 8
    assert front_month([JUN, DEC, MAR], today) == [front]
    assert choose(FRONT, [JUN, DEC, MAR], today) == [front]


def test_no_front_month_once_every_listed_month_is_past_its_roll() -> None:
    assert front_month([DEC, MAR, JUN], date(2027, 6, 11)) == []


def test_the_front_month_listed_on_two_exchanges_stays_ambiguous() -> None:
    twin = _future(4, "20261218", exchange="CBOT")
    wide = Instrument(symbol="ES", sec_type="FUT", exchange="SMART", roll="front")
    assert choose(wide, [DEC, twin, MAR], date(2026, 12, 3)) == [twin, DEC]


def test_one_contract_qualifies_several_are_ambiguous_none_unknown() -> None:
    assert one_contract(Instrument(symbol="SHOP", currency="CAD"), [NYSE, TSE, TSE]) == TSE
    assert one_contract(Instrument(symbol="SHOP"), [NYSE, NYSE]) == NYSE  # one conId, once
    with pytest.raises(AmbiguousInstrumentError) as twice:
        one_contract(
            Instrument(symbol="SHOP", currency="USD"),
            [NYSE, _listing(12, "NASDAQ", "USD")],
        )
    assert [c.con_id for c in twice.value.candidates] == [12, 10]  # by primary listing
    assert "ambiguous: 2 contracts" in twice.value.text
    with pytest.raises(BrokerRejectedError) as unknown:
        one_contract(Instrument(symbol="SHOP", currency="EUR"), [NYSE, TSE])
    assert unknown.value.code == 200
