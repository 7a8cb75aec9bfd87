"""Derivative fields on the contract: which combinations name one contract, and the keys."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from sluice_proto import Instrument, Signal
from sluice_proto.codec import EventDecodeError, decode, encode
from sluice_proto.topics import SIGNALS


def _signal(**fields: object) -> Signal:
    base: dict[str, object] = {
        "signal_id": "s-1",
        "strategy_id": "momo",
        "side": "BUY",
        "quantity": Decimal(1),
        "order_type": "MKT",
    }
    return Signal(**{**base, **fields})  # type: ignore[arg-type]


def test_a_stock_keeps_its_key() -> None:
    assert Instrument(symbol="AAPL").key == "STK:AAPL:SMART:USD"


def test_a_derivative_key_carries_its_terms_normalised() -> None:
    option = Instrument(
        symbol="AAPL", sec_type="OPT", last_trade_date_or_contract_month="20261218",
        strike=Decimal("200.0"), right="C", multiplier=Decimal(100),
    )  # fmt: skip
    assert option.key == "OPT:AAPL:SMART:USD:expiry=20261218:strike=200:right=C:multiplier=100"
    front = Instrument(symbol="ES", sec_type="FUT", exchange="CME", roll="front")
    assert front.key == "FUT:ES:CME:USD:roll=front"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"sec_type": "OPT", "strike": Decimal(200), "right": "C"}, "OPT needs last_trade"),
        ({"sec_type": "FOP", "last_trade_date_or_contract_month": "202612"}, "strike, right"),
        ({"sec_type": "FUT"}, "FUT needs"),
        (
            {"sec_type": "FUT", "roll": "front", "last_trade_date_or_contract_month": "202612"},
            "one of them",
        ),
        ({"sec_type": "OPT", "roll": "front"}, "roll applies to FUT only"),
        ({"sec_type": "OPT", "strike": Decimal(-1)}, "strike must be"),
    ],
)
def test_an_incomplete_derivative_is_refused(fields: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        _signal(symbol="AAPL", **fields)


@pytest.mark.parametrize("named_by", [{"con_id": 495512563}, {"local_symbol": "ESZ6"}])
def test_a_con_id_or_local_symbol_names_the_contract_alone(named_by: dict[str, object]) -> None:
    assert _signal(symbol="ES", sec_type="FUT", **named_by).instrument.sec_type == "FUT"


def test_the_signal_carries_the_terms_to_its_instrument_and_over_the_wire() -> None:
    signal = _signal(
        symbol="ES", sec_type="FUT", exchange="CME", last_trade_date_or_contract_month="202612",
        multiplier=Decimal(50),
    )  # fmt: skip
    again = decode(SIGNALS, encode(signal))
    assert isinstance(again, Signal)
    assert again.instrument == signal.instrument
    assert again.instrument.last_trade_date_or_contract_month == "202612"


@pytest.mark.parametrize(("expiry", "valid"), [("202612", True), ("Dec26", False)])
def test_the_expiry_format_is_checked_on_decode(expiry: str, valid: bool) -> None:
    raw = msgspec.json.decode(encode(_signal(symbol="ES")))
    raw.update(sec_type="FUT", last_trade_date_or_contract_month=expiry)
    if valid:
        signal = decode(SIGNALS, msgspec.json.encode(raw))
        assert isinstance(signal, Signal)
        assert signal.instrument.last_trade_date_or_contract_month == expiry
    else:
        with pytest.raises(EventDecodeError, match="matching regex"):
            decode(SIGNALS, msgspec.json.encode(raw))
