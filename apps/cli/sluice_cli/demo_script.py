"""The script ``sluice demo`` runs: signals go into the embedded stack, the order lifecycle
shows up live, and the run passes only if every step ended as the script expects."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from sluice_bus import Message
from sluice_cli.board import OrderBoard
from sluice_cli.stack import LocalStack, StackConfig
from sluice_cli.topic_view import CENT, TopicView
from sluice_proto import (
    CancelRequest,
    Instrument,
    KillSwitch,
    MdSubscribe,
    Resume,
    Signal,
)
from sluice_proto.topics import (
    CONTROL,
    MD_SUBSCRIPTIONS,
    ORDERS_EVENTS,
    SIGNALS,
)

STRATEGY = "demo"
SYMBOLS = ("AAPL", "MSFT", "SPY")
TITLE = "Sluice demo: order lifecycle"


class DemoFailedError(Exception):
    """A step did not reach the state the script expects."""


class Demo:
    """The script, run against a started ``LocalStack``."""

    def __init__(self, stack: LocalStack, console: Console, live: Live) -> None:
        self.stack = stack
        self.console = console
        self.live = live
        self.board = OrderBoard()
        self.view = TopicView(stack.broker)
        self._count = 0

    async def on_order_event(self, message: Message[Any]) -> None:
        row = self.board.apply(message.event)
        if row is not None:
            self.console.print(f"  [dim]{row.label}[/]: {row.status} {row.detail}".rstrip())
            self.live.update(self.board_view(), refresh=True)

    def board_view(self) -> Table:
        """The order board as it stands."""
        return self.board.table(TITLE)

    async def run(self) -> None:
        self.console.print("waiting for the session-keeper to allow trading")
        await self._wait("the session-keeper to allow trading", self.view.trading_allowed, 20)
        self.console.print(f"subscribing to quotes for {', '.join(SYMBOLS)}")
        for symbol in SYMBOLS:
            await self._publish(
                MD_SUBSCRIPTIONS,
                MdSubscribe(subscriber_id=STRATEGY, instrument=Instrument(symbol=symbol)),
                key=Instrument(symbol=symbol).key,
            )
        await self._wait("quotes for AAPL, MSFT, SPY", lambda: self.view.have_quotes(SYMBOLS), 20)
        self.console.print("[bold]session UP, quotes flowing: sending signals[/]")

        await self._signal("1 market buy", "filled", "BUY 100 AAPL MKT")
        msft, spy = self.view.quote("MSFT"), self.view.quote("SPY")
        await self._signal("2 marketable limit", "filled", "BUY 50 MSFT LMT", msft.ask)
        await self._signal("3 fat finger", "rejected", "SELL 20 SPY LMT", _times(spy.bid, "0.5"))

        resting = await self._signal(
            "4 resting, cancelled",
            "cancelled",
            "BUY 10 SPY LMT",
            _times(spy.bid, "0.98"),
            until="accepted",
        )
        cancel = CancelRequest(strategy_id=STRATEGY, signal_id=resting, reason="demo")
        await self._publish(SIGNALS, cancel, key=STRATEGY)
        await self._settle()

        await self._signal(
            "5 resting, killed",
            "cancelled",
            "BUY 10 MSFT LMT",
            _times(msft.bid, "0.98"),
            until="accepted",
        )
        self.console.print("[bold red]kill switch ON[/]: risk stops new orders, router cancels")
        await self._publish(CONTROL, KillSwitch(operator="demo", reason="demo drill"), key="*")
        await self._wait("risk to apply the kill switch", lambda: self.view.killed() is True, 10)
        await self._settle()
        await self._signal("6 during kill switch", "rejected", "BUY 10 AAPL MKT")
        self.console.print("[bold green]resume[/]")
        await self._publish(CONTROL, Resume(operator="demo", reason="drill over"), key="*")
        await self._wait("risk to lift the kill switch", lambda: self.view.killed() is False, 10)
        await self._signal("7 after resume", "filled", "BUY 10 AAPL MKT")

    async def _signal(
        self,
        label: str,
        expected: str,
        order: str,
        price: Decimal | None = None,
        *,
        until: str = "",
    ) -> str:
        """Send ``order`` ("BUY 100 AAPL MKT") and wait until it is ``until`` or final."""
        side, quantity, symbol, order_type = order.split()
        self._count += 1
        signal = Signal(
            signal_id=f"demo-{int(time.time())}-{self._count}",
            strategy_id=STRATEGY,
            symbol=symbol,
            side=side,  # type: ignore[arg-type]
            quantity=Decimal(quantity),
            order_type=order_type,  # type: ignore[arg-type]
            limit_price=price.quantize(CENT) if price is not None else None,
        )
        summary = order + (f" @ {signal.limit_price}" if signal.limit_price else "")
        self.board.track(signal.client_order_id, label, summary, expected)
        self.console.print(f"  [dim]{label}[/]: sending {summary} (expected: {expected})")
        self.live.update(self.board_view(), refresh=True)
        await self._publish(SIGNALS, signal, key=STRATEGY)
        goal = until or expected
        await self._wait(
            f"step {label!r} to be {goal}",
            lambda: self.board.reached(signal.client_order_id, goal),
            20,
        )
        return signal.signal_id

    async def _settle(self) -> None:
        await self._wait(
            "open orders to finish",
            lambda: all(r.final for r in self.board.rows.values()),
            20,
        )

    async def _publish(self, topic: str, event: Any, *, key: str) -> None:
        await self.stack.operator.publish(topic, event, key=key)

    async def _wait(self, what: str, done: Callable[[], bool], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise DemoFailedError(f"timed out after {timeout_s:.0f}s waiting for {what}")
            await asyncio.sleep(0.05)


def _times(price: Decimal | None, factor: str) -> Decimal:
    if price is None:
        raise DemoFailedError("the quote has no price on that side")
    return price * Decimal(factor)


async def run_demo(console: Console, config: StackConfig | None = None) -> bool:
    """Run the script; True when every step ended as expected."""
    started = time.monotonic()
    console.print(
        "starting the simulated IB Gateway, market-data, session-keeper, risk and order-router"
    )
    async with LocalStack(config) as stack:
        console.print(f"all up: IB Gateway simulator on 127.0.0.1:{stack.tws.port}, in-memory bus")
        # No refresh thread: it would race the event loop's console.print calls (both move the
        # cursor from the same last-known frame) and strand frames in the scrollback. The loop
        # redraws the board itself on every change.
        with Live(console=console, auto_refresh=False, transient=False) as live:
            demo = Demo(stack, console, live)
            await stack.operator.consume(
                [ORDERS_EVENTS], group="sluice-demo", handler=demo.on_order_event
            )
            try:
                await demo.run()
            except DemoFailedError as exc:
                console.print(f"[bold red]demo failed:[/] {exc}")
                return False
            finally:
                live.update(demo.board_view())
    console.print()
    for position in demo.view.positions():
        console.print(f"  position {position}")
    dead_letters = demo.view.dead_letters()
    console.print(f"  dead letters: {dead_letters}")
    unmet = demo.board.unmet()
    for row in unmet:
        console.print(f"[red]step {row.label}: expected {row.expected}, got {row.status}[/]")
    console.print(
        f"[bold]{len(demo.board.rows) - len(unmet)}/{len(demo.board.rows)} steps as expected "
        f"in {time.monotonic() - started:.1f}s[/]"
    )
    return not unmet and dead_letters == 0
