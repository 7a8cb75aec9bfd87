"""Behaviour of the wire contract itself: validation, Decimal precision, idempotency keys."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import msgspec
import pytest

from sluice_proto import Signal, client_order_id
from sluice_proto.codec import EventDecodeError, decode, encode
from sluice_proto.topics import SIGNALS, topic


def _signal(**overrides: object) -> Signal:
    fields: dict[str, object] = {
        "signal_id": "s-1",
        "strategy_id": "momo",
        "symbol": "AAPL",
        "side": "BUY",
        "quantity": Decimal("10"),
        "order_type": "LMT",
        "limit_price": Decimal("187.4200000001"),
    }
    fields.update(overrides)
    return Signal(**fields)  # type: ignore[arg-type]


def test_decimals_survive_the_wire_exactly() -> None:
    signal = _signal()
    assert b'"limit_price":"187.4200000001"' in encode(signal)
    assert decode(SIGNALS, encode(signal)).limit_price == Decimal("187.4200000001")


def test_client_order_id_is_deterministic_and_distinct() -> None:
    assert _signal().client_order_id == client_order_id("momo", "s-1")
    assert client_order_id("momo", "s-1") == client_order_id("momo", "s-1")
    assert client_order_id("momo", "s-1") != client_order_id("momo", "s-2")
    assert client_order_id("a", "bc") != client_order_id("ab", "c")
    assert len(client_order_id("x" * 128, "y" * 128)) <= 40


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"quantity": "0"}, "quantity must be"),
        ({"quantity": "-5"}, "quantity must be"),
        ({"quantity": "NaN"}, "quantity must be"),
        ({"order_type": "LMT", "limit_price": None}, "limit_price is required"),
        ({"order_type": "STP_LMT", "stop_price": None}, "stop_price is required"),
        ({"side": "HOLD"}, "Invalid enum value"),
        ({"created_at": "2026-11-01T14:30:00"}, "timezone"),
        ({"signal_id": ""}, "length"),
    ],
)
def test_invalid_signals_are_schema_errors(patch: dict[str, object], message: str) -> None:
    document = msgspec.json.decode(encode(_signal(limit_price=Decimal(1), stop_price=Decimal(1))))
    document.update(patch)
    with pytest.raises(EventDecodeError) as caught:
        decode(SIGNALS, msgspec.json.encode(document))
    assert caught.value.kind == "schema_invalid"
    assert message in str(caught.value)


def test_unknown_type_and_garbage_are_told_apart() -> None:
    with pytest.raises(EventDecodeError) as unknown:
        decode(SIGNALS, b'{"type":"signal_v2","signal_id":"x"}')
    assert unknown.value.kind == "unknown_type"
    with pytest.raises(EventDecodeError) as garbage:
        decode(SIGNALS, b"\x00\xff not json")
    assert garbage.value.kind == "undecodable"


def test_timestamps_keep_their_instant() -> None:
    local = datetime(2026, 11, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    decoded = decode(SIGNALS, encode(_signal(created_at=local)))
    assert decoded.created_at == local
    assert decoded.created_at.utcoffset() is not None


def test_topic_lookup_names_the_unknown_topic() -> None:
    with pytest.raises(KeyError, match=r"sluice\.nope\.v1"):
        topic("sluice.nope.v1")
