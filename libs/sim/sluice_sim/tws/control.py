"""The in-process control API of a simulated gateway: fault injection and counters.

Every fault injected is logged at WARNING (loggers under ``sluice_sim.tws``), so a run's log
says why a client saw what it saw.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sluice_sim.tws.handlers import account as account_handlers
from sluice_sim.tws.server import LOST, RESTORED_DATA_KEPT, RESTORED_DATA_LOST, TwsServer
from sluice_sim.venue.venue import Auction

log = logging.getLogger(__name__)


class TwsControl:
    """What tests (directly, or through the HTTP endpoint) do to a running gateway."""

    def __init__(self, server: TwsServer) -> None:
        self.server = server

    def set_read_only(self, enabled: bool) -> None:
        log.warning("fault: Read-Only API %s (orders refused with 201)", _on(enabled))
        self.server.faults.read_only = enabled

    def set_pacing(self, msgs_per_s: int) -> None:
        log.warning("fault: pacing limit set to %d messages/s per client (then 100)", msgs_per_s)
        self.server.faults.pacing_msgs_per_s = msgs_per_s

    def set_trusted_ips(self, ips: list[str] | None) -> None:
        trusted = "anyone" if ips is None else ", ".join(ips) or "nobody"
        log.warning("fault: Trusted IPs now %s (others are closed before the handshake)", trusted)
        self.server.faults.trusted_ips = None if ips is None else frozenset(ips)

    def hold_acks(self, enabled: bool) -> None:
        """Orders still reach the venue, but their order events are withheld from clients.

        Request replies (reqOpenOrders, reqCompletedOrders, reqExecutions) are not held. Turning
        it off sends each still-connected client what it missed; a client that disconnected
        meanwhile never gets its events (a new connection must ask for them).
        """
        log.warning("fault: order acknowledgements withheld %s", _on(enabled))
        self.server.faults.hold_acks = enabled
        if not enabled:
            for session in self.server.sessions.values():
                session.release_held()

    def drop_orders(self, count: int) -> None:
        """Lose the next ``count`` placeOrder messages before they reach the venue."""
        log.warning("fault: the next %d placeOrder message(s) will be lost", count)
        self.server.faults.drop_orders = count

    def slow_lookups(self, count: int, delay_s: float) -> None:
        """Answer the next ``count`` contract lookups (reqContractDetails) ``delay_s`` late, as
        a loaded gateway does."""
        log.warning("fault: the next %d contract lookup(s) answered %.1fs late", count, delay_s)
        self.server.faults.slow_lookups, self.server.faults.slow_lookup_s = count, delay_s

    def lose_connectivity(self) -> None:
        """IB's servers become unreachable: 1100 to every client; orders and data stop."""
        log.warning("fault: connectivity to IB lost (1100 to every client)")
        self.server.faults.connectivity_lost = True
        self.server.broadcast_error(1100, LOST)

    def restore_connectivity(self, data_lost: bool) -> None:
        """1101 (subscriptions lost: clients must re-subscribe) or 1102 (kept)."""
        code = 1101 if data_lost else 1102
        log.warning("fault over: connectivity to IB restored (%d to every client)", code)
        self.server.faults.connectivity_lost = False
        if data_lost:
            for session in self.server.sessions.values():
                session.market_data.clear()
                session.pnl_requests.clear()
            self.server.broadcast_error(1101, RESTORED_DATA_LOST)
        else:
            self.server.broadcast_error(1102, RESTORED_DATA_KEPT)
        for code, text in self.server.config.farm_status:
            self.server.broadcast_error(code, text)

    async def restart(self, window: float | None = None) -> None:
        """Restart now: drop every client and refuse connections for ``window`` seconds."""
        await self.server.restart(self.server.config.restart_window if window is None else window)

    def step(self, steps: int = 1) -> None:
        for _ in range(steps):
            self.server.venue.step()

    def auction(self, which: Auction) -> int:
        """Run the opening (OPG) or closing (MOC, LOC) auction now; how many orders it met."""
        return len(self.server.venue.auction(which))

    def hold_prices(self, enabled: bool) -> None:
        """Keep quoting without moving prices (only ``set_mid`` moves them) while enabled."""
        self.server.venue.quotes.still = enabled

    def set_mid(self, con_id: int, price: Decimal) -> None:
        self.server.venue.quotes.set_mid(con_id, price)

    def adjust_position(self, account: str, symbol: str, quantity: Decimal) -> None:
        """Change a position behind every client's back (a transfer, a corporate action, a
        trade elsewhere): ``quantity`` is added; clients streaming positions are told."""
        log.warning("fault: position of %s in %s changed by %s outside any order",
                    account, symbol, quantity)  # fmt: skip
        inst = self.server.venue.adjust_position(account, symbol, quantity)
        for session in list(self.server.sessions.values()):
            account_handlers.on_fill(session, account, inst.con_id)

    def orders_with_ref(self, order_ref: str) -> int:
        return self.server.venue.store.orders_with_ref(order_ref)

    def reused_order_ids(self) -> list[tuple[int, int]]:
        """``(client_id, order_id)`` pairs placed as more than one new order, across restarts."""
        return self.server.venue.store.reused_order_ids()

    def counters(self) -> dict[str, object]:
        return {
            **self.server.counters.snapshot(),
            "connected_clients": sorted(self.server.sessions),
            "orders": sum(1 for _ in self.server.venue.store),  # today's (and open GTC) orders
            "held_acks": sum(len(s.held) for s in self.server.sessions.values()),
        }

    async def run_daily_restarts(self) -> None:
        """Restart every day at ``config.restart_at`` (UTC) until cancelled."""
        at = self.server.config.restart_at
        if at is None:
            return
        while True:
            now = datetime.now(UTC)
            due = now.replace(hour=at.hour, minute=at.minute, second=at.second, microsecond=0)
            if due <= now:
                due += timedelta(days=1)
            await asyncio.sleep((due - now).total_seconds())
            await self.restart()


def _on(enabled: bool) -> str:
    return "ON" if enabled else "off"
