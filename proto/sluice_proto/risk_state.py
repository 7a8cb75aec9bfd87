"""``sluice.risk.state.v1`` (compacted, key ``account|instrument``): positions and PnL."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from sluice_proto.common import Instrument, UtcDatetime, utc_now


class PositionState(msgspec.Struct, kw_only=True, tag_field="type", tag="position_state"):
    """One account's position in one instrument, marked to the latest quote."""

    account: str
    instrument: Instrument
    quantity: Decimal
    avg_cost: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    mark_price: Decimal | None = None
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)
