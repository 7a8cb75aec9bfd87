"""Order terms beyond price and quantity: trailing stops, time in force, brackets, OCA groups.

Shared by ``Signal`` and ``ApprovedOrder``; the rules here are IBKR's own, checked early so a
strategy hears of a malformed order from its decode, not from a broker rejection.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Protocol

import msgspec

from sluice_proto.common import require_positive

OcaType = Annotated[Literal[1, 2, 3], msgspec.Meta(description="IBKR's ocaType")]
"""What IBKR does with the other members of an OCA group when one fills: 1 cancel them
(with block), 2 reduce them (with block), 3 reduce them (no block; overfill possible)."""

BracketRole = Literal["tp", "sl"]
"""A bracket child: the take-profit or the stop-loss."""

TRAILING_TYPES = frozenset({"TRAIL", "TRAIL_LIMIT"})
BRACKET_ENTRY_TYPES = frozenset({"MKT", "LMT", "STP", "STP_LMT"})
_OPG_TYPES = frozenset({"MKT", "LMT"})  # IBKR: market-on-open and limit-on-open
_AT_CLOSE = frozenset({"MOC", "LOC"})


class OrderTerms(Protocol):
    """The fields ``validate_terms`` reads (a ``Signal`` or an ``ApprovedOrder``)."""

    @property
    def side(self) -> str: ...
    @property
    def order_type(self) -> str: ...
    @property
    def tif(self) -> str: ...
    @property
    def limit_price(self) -> Decimal | None: ...
    @property
    def stop_price(self) -> Decimal | None: ...
    @property
    def trailing_amount(self) -> Decimal | None: ...
    @property
    def trailing_percent(self) -> Decimal | None: ...
    @property
    def trail_stop_price(self) -> Decimal | None: ...
    @property
    def limit_price_offset(self) -> Decimal | None: ...
    @property
    def good_till(self) -> datetime | None: ...
    @property
    def take_profit(self) -> Decimal | None: ...
    @property
    def stop_loss(self) -> Decimal | None: ...
    @property
    def oca_group(self) -> str | None: ...


def child_order_id(parent_client_order_id: str, role: BracketRole) -> str:
    """A bracket child's ``client_order_id``: derived from its parent's, so a replay of the
    parent's signal can never create a second child."""
    return f"{parent_client_order_id}-{role}"


def validate_terms(terms: OrderTerms) -> None:
    """Raise ``ValueError`` (a msgspec validation error on decode) for inconsistent terms."""
    for name in ("trailing_amount", "trailing_percent", "trail_stop_price", "take_profit"):
        require_positive(name, getattr(terms, name))
    require_positive("stop_loss", terms.stop_loss)
    if terms.limit_price_offset is not None and not terms.limit_price_offset.is_finite():
        raise ValueError("limit_price_offset must be a finite number")
    _trailing(terms)
    _time_in_force(terms)
    _bracket(terms)


def _trailing(terms: OrderTerms) -> None:
    trails = terms.order_type in TRAILING_TYPES
    given = [n for n in ("trailing_amount", "trailing_percent") if getattr(terms, n) is not None]
    if trails and len(given) != 1:
        raise ValueError(
            f"{terms.order_type} needs exactly one of trailing_amount, trailing_percent"
        )
    if not trails and (given or terms.trail_stop_price is not None):
        raise ValueError(
            f"trailing fields are only for TRAIL and TRAIL_LIMIT, not {terms.order_type}"
        )
    if terms.trailing_percent is not None and terms.trailing_percent >= 100:
        raise ValueError(f"trailing_percent must be below 100, got {terms.trailing_percent}")
    if (terms.order_type == "TRAIL_LIMIT") != (terms.limit_price_offset is not None):
        raise ValueError("limit_price_offset is required for TRAIL_LIMIT and only for it")


def _time_in_force(terms: OrderTerms) -> None:
    if (terms.tif == "GTD") != (terms.good_till is not None):
        raise ValueError("good_till is required for tif GTD and only for it")
    if terms.tif == "OPG" and terms.order_type not in _OPG_TYPES:
        raise ValueError(f"tif OPG is for MKT and LMT orders (at the open), not {terms.order_type}")
    if terms.order_type in _AT_CLOSE and terms.tif != "DAY":
        raise ValueError(f"{terms.order_type} is a DAY order, not {terms.tif}")


def _bracket(terms: OrderTerms) -> None:
    take_profit, stop_loss = terms.take_profit, terms.stop_loss
    if take_profit is None and stop_loss is None:
        return
    if terms.order_type not in BRACKET_ENTRY_TYPES:
        raise ValueError(
            f"a bracket's parent must be MKT, LMT, STP or STP_LMT, not {terms.order_type}"
        )
    if terms.oca_group is not None:
        raise ValueError("a bracket's children form their own OCA group: oca_group is not allowed")
    sign = 1 if terms.side == "BUY" else -1  # a buy is bracketed by a higher sell, a lower stop
    entry = terms.limit_price or terms.stop_price
    for name, price, want in (("take_profit", take_profit, 1), ("stop_loss", stop_loss, -1)):
        if price is not None and entry is not None and (price - entry) * sign * want <= 0:
            side = "above" if sign * want > 0 else "below"
            raise ValueError(f"{name} {price} must be {side} the entry {entry} of a {terms.side}")
    if take_profit is not None and stop_loss is not None and (take_profit - stop_loss) * sign <= 0:
        raise ValueError(
            f"take_profit {take_profit} and stop_loss {stop_loss} are on the wrong sides"
        )


def bracket_children(terms: OrderTerms) -> list[tuple[BracketRole, Decimal]]:
    """The children a bracket's terms ask for, as (role, price): the take-profit (a limit)
    first, the stop-loss (a stop) last; both on the other side of the parent."""
    wanted: list[tuple[BracketRole, Decimal | None]] = [
        ("tp", terms.take_profit),
        ("sl", terms.stop_loss),
    ]
    return [(role, price) for role, price in wanted if price is not None]
