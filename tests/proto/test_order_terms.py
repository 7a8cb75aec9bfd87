"""The order terms on the wire: trailing stops, OPG/GTD, MOC/LOC, brackets and OCA groups."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import pytest

from sluice_proto import Signal
from sluice_proto.codec import decode, encode
from sluice_proto.order_terms import child_order_id
from sluice_proto.topics import SIGNALS

D = Decimal


def _signal(**overrides: object) -> Signal:
    fields: dict[str, object] = {
        "signal_id": "s-1",
        "strategy_id": "momo",
        "symbol": "AAPL",
        "side": "BUY",
        "quantity": D(10),
        "order_type": "LMT",
        "limit_price": D(100),
    }
    fields.update(overrides)
    return Signal(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "terms",
    [
        {"order_type": "TRAIL", "limit_price": None, "trailing_amount": D("1.5")},
        {"order_type": "TRAIL", "limit_price": None, "trailing_percent": D(2), "side": "SELL"},
        {
            "order_type": "TRAIL_LIMIT",
            "limit_price": None,
            "trailing_amount": D(1),
            "trail_stop_price": D(98),
            "limit_price_offset": D("0.1"),
        },
        {"order_type": "MOC", "limit_price": None},
        {"order_type": "LOC"},
        {"tif": "OPG"},
        {"tif": "GTD", "good_till": datetime(2026, 12, 4, 21, tzinfo=UTC)},
        {"take_profit": D(110), "stop_loss": D(95)},
        {"side": "SELL", "take_profit": D(90), "stop_loss": D(105)},
        {"order_type": "MKT", "limit_price": None, "stop_loss": D(95)},
        {"oca_group": "g1", "oca_type": 2},
        {"outside_rth": True},
    ],
)
def test_valid_terms_survive_the_wire(terms: dict[str, object]) -> None:
    signal = _signal(**terms)
    assert decode(SIGNALS, encode(signal)) == signal


@pytest.mark.parametrize(
    ("terms", "complaint"),
    [
        ({"order_type": "TRAIL", "limit_price": None}, "exactly one of"),
        (
            {"order_type": "TRAIL", "trailing_amount": D(1), "trailing_percent": D(1)},
            "exactly one of",
        ),
        ({"order_type": "TRAIL_LIMIT", "trailing_amount": D(1)}, "limit_price_offset"),
        ({"trailing_amount": D(1)}, "only for TRAIL"),
        ({"order_type": "TRAIL", "trailing_percent": D(100)}, "below 100"),
        ({"order_type": "LOC", "limit_price": None}, "limit_price is required"),
        ({"order_type": "MOC", "tif": "GTC"}, "DAY order"),
        ({"tif": "GTD"}, "good_till"),
        ({"good_till": datetime(2026, 12, 4, tzinfo=UTC)}, "good_till"),
        ({"order_type": "STP", "stop_price": D(99), "tif": "OPG"}, "OPG"),
        ({"take_profit": D(99)}, "take_profit 99 must be above"),
        ({"stop_loss": D(101)}, "stop_loss 101 must be below"),
        ({"side": "SELL", "take_profit": D(101)}, "must be below"),
        (
            {"order_type": "MKT", "limit_price": None, "take_profit": D(90), "stop_loss": D(95)},
            "wrong sides",
        ),
        ({"take_profit": D(110), "oca_group": "g"}, "own OCA group"),
        ({"order_type": "MOC", "stop_loss": D(90)}, "bracket's parent"),
    ],
)
def test_inconsistent_terms_are_refused(terms: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        _signal(**terms)
    raw = msgspec.json.encode({**msgspec.to_builtins(_signal()), **msgspec.to_builtins(terms)})
    with pytest.raises(msgspec.ValidationError, match=complaint):
        msgspec.json.decode(raw, type=Signal)


def test_bracket_children_ids_derive_from_the_parent() -> None:
    parent = _signal(take_profit=D(110), stop_loss=D(95)).client_order_id
    assert child_order_id(parent, "tp") != child_order_id(parent, "sl")
    assert child_order_id(parent, "tp") == child_order_id(parent, "tp")
    assert child_order_id(parent, "tp").startswith(parent)
