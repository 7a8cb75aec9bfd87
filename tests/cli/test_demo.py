"""`make demo`'s script passes on the embedded stack, and its board tells failures apart."""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console

from sluice_cli.board import OrderBoard
from sluice_cli.demo_script import run_demo
from sluice_proto import OrderFilled, OrderRejected
from sluice_proto.orders import Fill


async def test_the_scripted_demo_runs_to_the_end() -> None:
    out = io.StringIO()
    ok = await run_demo(Console(file=out, width=140))
    text = out.getvalue()
    assert ok, text
    assert "7/7 steps as expected" in text
    assert "PRICE_COLLAR" in text
    assert "KILL_SWITCH" in text
    assert "dead letters: 0" in text


def test_the_board_reports_a_step_that_missed_its_expectation() -> None:
    board = OrderBoard()
    board.track("sl-1", "1 market buy", "BUY 1 AAPL MKT", "filled")
    board.track("sl-2", "2 fat finger", "SELL 1 SPY LMT", "rejected")
    board.apply(
        OrderFilled(
            client_order_id="sl-1",
            account="DU1",
            fill=Fill(exec_id="e1", quantity=Decimal(1), price=Decimal(10)),
            filled_quantity=Decimal(1),
            avg_fill_price=Decimal(10),
        )
    )
    board.apply(
        OrderRejected(
            client_order_id="sl-9", account="DU1", reason_code="KILL_SWITCH", message="not ours"
        )
    )

    assert board.status("sl-1") == "filled"
    assert [row.label for row in board.unmet()] == ["2 fat finger"]
