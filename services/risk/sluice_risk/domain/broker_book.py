"""What risk knows of the broker: its latest truth per account, and the drift halts.

The broker's truth (``sluice.broker.truth.v1``) does two things here: its open orders that
are not Sluice's (no ``orderRef``, or one risk never decided) count toward exposure like
Sluice's own working orders, and its positions are compared with risk's book (``drift.py``).
A confirmed drift halts the account until an operator accepts the broker's figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from sluice_proto import BrokerOpenOrder, BrokerTruth, Instrument
from sluice_proto.risk_state import PositionDrift
from sluice_risk.domain.drift import Tolerance, compare, confirmed, line_of


class BrokerBook:
    """Per account: the latest ``BrokerTruth``, the drift it showed and the halt confirmed."""

    def __init__(self) -> None:
        self.truths: dict[str, BrokerTruth] = {}
        self.halts: dict[str, list[PositionDrift]] = {}
        self._suspected: dict[str, list[PositionDrift]] = {}
        self._lines: dict[str, dict[int, str]] = {}
        """Per account: the book line (instrument key) each conId Sluice traded belongs to."""

    def learn(self, account: str, con_id: int, key: str) -> None:
        """Sluice's orders in book line ``key`` went out as IBKR's ``con_id``."""
        self._lines.setdefault(account, {})[con_id] = key

    def line_of(self, account: str, instrument: Instrument) -> str:
        """The book line a broker position in ``instrument`` belongs to (``drift.compare``)."""
        return line_of(instrument, self._lines.get(account, {}))

    def restore(self, truth: BrokerTruth) -> None:
        """Keep ``truth`` as the latest (on restart: no comparison, the halts are restored
        from risk's own state)."""
        self.truths[truth.account] = truth

    def observe(
        self,
        truth: BrokerTruth,
        book: Mapping[str, tuple[Instrument, Decimal]],
        tolerance: Tolerance,
        working: Mapping[str, tuple[Decimal, Decimal]],
    ) -> bool:
        """Compare ``truth`` with the account's ``book`` (``working``: Sluice's unfilled buys
        and sells per instrument, see ``drift.compare``); True when the halt changed.

        A halt, once confirmed, stays until ``accept`` (even if the drift goes away: the
        operator decides which figures are right); a later confirmed drift updates it.
        """
        account = truth.account
        self.truths[account] = truth
        drift = compare(book, truth.positions, tolerance, working, self._lines.get(account))
        real = confirmed(self._suspected.get(account, []), drift)
        self._suspected[account] = drift
        if not real or self.halts.get(account) == real:
            return False
        self.halts[account] = real
        return True

    def accept(self, account: str) -> BrokerTruth | None:
        """Lift the account's halt; the truth whose positions become the book (None: none
        received since risk's state began)."""
        self.halts.pop(account, None)
        self._suspected.pop(account, None)
        return self.truths.get(account)

    def foreign_orders(self, account: str, ours: Callable[[str], bool]) -> list[BrokerOpenOrder]:
        """The account's open orders at the broker that are not Sluice's (``ours(order_ref)``
        false: placed by hand, by another program, or by a Sluice risk never decided)."""
        truth = self.truths.get(account)
        if truth is None:
            return []
        return [o for o in truth.open_orders if not (o.order_ref and ours(o.order_ref))]
