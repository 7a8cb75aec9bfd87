"""msgspec (what Sluice uses) vs pydantic v2: JSON encode + decode of two events.

Run: ``python -m bench codec``. Decoding validates on both sides (types, constraints,
tz-aware datetimes, Decimals as strings).
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pydantic

from bench import pydantic_models as pyd
from sluice_proto.codec import encode
from sluice_proto.orders import Fill, OrderFilled
from sluice_proto.signals import Signal

ROUNDS, NUMBER = 5, 20_000


def _best_us(action: Callable[[], Any]) -> float:
    """Microseconds per call, best of ``ROUNDS`` runs of ``NUMBER`` calls."""
    return min(timeit.repeat(action, number=NUMBER, repeat=ROUNDS)) / NUMBER * 1e6


def _events() -> dict[str, msgspec.Struct]:
    signal = Signal(
        signal_id="sig-42",
        strategy_id="momentum",
        symbol="AAPL",
        side="BUY",
        quantity=Decimal(100),
        order_type="LMT",
        limit_price=Decimal("187.25"),
    )
    fill = Fill(
        exec_id="0001f4e8.6592a1b2.01.01",
        quantity=Decimal(100),
        price=Decimal("187.24"),
        commission=Decimal("1.00"),
        commission_currency="USD",
    )
    filled = OrderFilled(
        client_order_id=signal.client_order_id,
        account="DU1234567",
        strategy_id="momentum",
        signal_id="sig-42",
        symbol="AAPL",
        fill=fill,
        filled_quantity=Decimal(100),
        avg_fill_price=Decimal("187.24"),
        side="BUY",
    )
    return {"Signal": signal, "OrderFilled": filled}


def _row(name: str, event: msgspec.Struct) -> str:
    data = encode(event)
    decoder = msgspec.json.Decoder(type(event))
    model = getattr(pyd, name)
    twin = model.model_validate_json(data)
    assert model.model_validate_json(twin.model_dump_json()) == twin  # same wire format
    figures = [
        _best_us(lambda: encode(event)),
        _best_us(lambda: decoder.decode(data)),
        _best_us(twin.model_dump_json),
        _best_us(lambda: model.model_validate_json(data)),
    ]
    ms_total, pd_total = figures[0] + figures[1], figures[2] + figures[3]
    cells = "".join(f"{value:9.2f}" for value in figures)
    return f"  {name:<12}{cells}{ms_total:9.2f}{pd_total:9.2f}{pd_total / ms_total:8.1f}x"


def main() -> None:
    """Print µs per message for encode, decode and both, msgspec beside pydantic v2."""
    print(f"codec: µs per message, best of {ROUNDS} x {NUMBER:,} (lower is better)")
    print(
        f"  {'event':<12}{'ms enc':>9}{'ms dec':>9}{'pd enc':>9}{'pd dec':>9}"
        f"{'ms both':>9}{'pd both':>9}{'pd/ms':>9}"
    )
    for name, event in _events().items():
        print(_row(name, event))
    print(f"  (ms = msgspec {msgspec.__version__}, pd = pydantic {pydantic.VERSION})")
