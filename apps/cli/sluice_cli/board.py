"""The demo's view of orders: one row per client order id, updated from the lifecycle topic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from sluice_proto import (
    OrderBrokerRejected,
    OrderCancelled,
    OrderFilled,
    OrderPartiallyFilled,
    OrderRejected,
    SignalDuplicate,
)
from sluice_proto.codec import event_type
from sluice_proto.orders import final_status

_STYLE = {
    "filled": "green",
    "cancelled": "yellow",
    "rejected": "red",
    "broker_rejected": "red",
    "duplicate": "magenta",
}


@dataclass(slots=True)
class Row:
    """One scripted order and what has happened to it so far."""

    label: str
    summary: str
    expected: str
    status: str = "sent"
    final: bool = False
    """The row no longer changes: its order is final, or its signal was a duplicate."""
    detail: str = ""
    history: list[str] = field(default_factory=list)


class OrderBoard:
    """Rows by client order id; ``apply`` folds in one lifecycle event."""

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}

    def track(self, client_order_id: str, label: str, summary: str, expected: str) -> None:
        """Start following an order the script is about to send."""
        self.rows[client_order_id] = Row(label, summary, expected)

    def status(self, client_order_id: str) -> str:
        """The latest status of a tracked order."""
        return self.rows[client_order_id].status

    def reached(self, client_order_id: str, status: str) -> bool:
        """True once a tracked order is final or at ``status``."""
        row = self.rows[client_order_id]
        return row.final or row.status == status

    def apply(self, event: Any) -> Row | None:
        """Update the row the event belongs to; None for orders the script did not send."""
        row = self.rows.get(getattr(event, "client_order_id", ""))
        if row is None:
            return None
        row.status = event_type(event).removeprefix("order_").removeprefix("signal_")
        row.final = final_status(event) is not None or isinstance(event, SignalDuplicate)
        row.history.append(row.status)
        row.detail = _detail(event)
        return row

    def table(self, title: str) -> Table:
        """The board as a rich table, one line per order at any width: the detail is cut with
        an ellipsis, never wrapped (the full text is in the log line above the table)."""
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for column in ("step", "order", "status"):
            table.add_column(column, no_wrap=True)
        table.add_column("detail")  # the one column rich may narrow
        for row in self.rows.values():
            style = _STYLE.get(row.status, "cyan")
            table.add_row(
                row.label,
                row.summary,
                f"[{style}]{row.status}[/]{_mark(row)}",
                Text(row.detail, no_wrap=True, overflow="ellipsis"),
            )
        return table

    def unmet(self) -> list[Row]:
        """Rows whose final status is not what the script expected."""
        return [row for row in self.rows.values() if row.status != row.expected]


def _mark(row: Row) -> str:
    """ " ✓" once a row ended as the script expected, " ✗ want <expected>" when it did not."""
    if not row.final:
        return ""
    return " ✓" if row.status == row.expected else f" [red]✗ want {row.expected}[/]"


def _detail(event: Any) -> str:
    if isinstance(event, OrderRejected):
        return f"{event.reason_code}: {event.message}"
    if isinstance(event, OrderBrokerRejected):
        return f"IBKR {event.code}: {event.text}"
    if isinstance(event, OrderFilled | OrderPartiallyFilled):
        commission = f", commission {event.fill.commission}" if event.fill.commission else ""
        return f"{event.filled_quantity.normalize():f} @ {event.avg_fill_price}{commission}"
    if isinstance(event, OrderCancelled):
        return event.reason or "cancelled at IBKR"
    return ""
