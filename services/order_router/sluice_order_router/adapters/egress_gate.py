"""The socket path's egress self-check, around any ``BrokerGateway``.

Before the first connect and every ``SLUICE_EGRESS_CHECK_S`` after it, the echo probe says
which IP our traffic leaves from; a verdict that holds (a mismatch, or unknown while an expected
IP is configured) keeps orders held. Without an echo URL the gate says so plainly, in the log
at start, in its report to the session-keeper and in ``/readyz``: IB Gateway's Trusted IPs are
then the only check. Cancels always pass: reducing risk is always allowed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING

from sluice_order_router.adapters.rest.errors import EgressMismatchError
from sluice_order_router.domain.backoff import JitteredBackoff
from sluice_order_router.domain.broker import BrokerOrder, BrokerSnapshot
from sluice_order_router.domain.egress import EgressVerdict, egress_verdict
from sluice_order_router.domain.order_ids import OrderIdLease
from sluice_order_router.ports import (
    BrokerGateway,
    BrokerRejectedError,
    OnConnection,
    OnOrderUpdate,
    OnPnl,
    OnQuoteRefused,
    OnTick,
    Paced,
    PnlStreamed,
)
from sluice_proto import ApprovedOrder, BrokerTruth, Instrument, SweptOrder
from sluice_proto.history import Bar, HistoryRequest
from sluice_proto.session import AuthStatusReport, EgressReport

if TYPE_CHECKING:  # the check imports httpx, which only a configured echo URL needs
    from sluice_order_router.adapters.echo import EchoCheck

log = logging.getLogger(__name__)
OnEgressReport = Callable[[EgressReport], Awaitable[None]]
UNCHECKED = (
    "no SLUICE_EGRESS_ECHO_URL: IB Gateway's Trusted IPs are the only check of the egress IP"
)


class EgressGate:
    """``inner`` with the echo-URL egress check in front of it."""

    def __init__(
        self,
        inner: BrokerGateway,
        *,
        echo: EchoCheck | None,
        expected: tuple[str, ...],
        every_s: float,
        on_report: OnEgressReport,
        backoff: JitteredBackoff,
    ) -> None:
        self.inner = inner
        self.path = inner.path
        self.account = inner.account
        self._echo, self._expected, self._every_s = echo, expected, every_s
        self._on_report, self._backoff = on_report, backoff
        self._hold = echo is not None  # nothing is sent before the first verdict
        self._periodic: asyncio.Task[None] | None = None
        self.egress_note = UNCHECKED if echo is None else "egress not checked yet"
        if isinstance(inner, Paced):
            self.pacing = inner.pacing

    @property
    def connected(self) -> bool:
        return self.inner.connected and not self._hold

    @property
    def managed_accounts(self) -> tuple[str, ...] | None:
        return self.inner.managed_accounts

    def set_callbacks(
        self,
        on_update: OnOrderUpdate,
        on_connection: OnConnection,
        on_tick: OnTick,
        on_refused: OnQuoteRefused | None = None,
    ) -> None:
        self.inner.set_callbacks(on_update, on_connection, on_tick, on_refused)

    def set_pnl_callback(self, on_pnl: OnPnl) -> None:
        if isinstance(self.inner, PnlStreamed):
            self.inner.set_pnl_callback(on_pnl)

    async def watch_pnl(self, accounts: Collection[str]) -> None:
        if isinstance(self.inner, PnlStreamed):
            await self.inner.watch_pnl(accounts)

    async def connect(self) -> None:
        """Verify egress (retrying with backoff while it holds), then connect the inner path."""
        if self._echo is None:
            if self._expected:
                log.warning("egress: %s (SLUICE_EXPECTED_EGRESS_IP is not verified)", UNCHECKED)
            await self._on_report(self._unchecked())
        else:
            attempt = 0
            while not (await self.check()).ok:
                attempt += 1
                await asyncio.sleep(self._backoff.delay(attempt))
            if self._periodic is None:
                self._periodic = asyncio.create_task(self._every(), name="egress-echo")
        await self.inner.connect()

    async def check(self) -> EgressReport:
        """One echo check: the verdict takes effect at once and goes to the session-keeper."""
        assert self._echo is not None
        observed, failure = await self._echo.observe()
        verdict = egress_verdict(
            observed, self._expected, source=f"the echo URL {self._echo.url}", failure=failure
        )
        if verdict.holds != self._hold or verdict.holds:
            (log.warning if verdict.holds else log.info)("egress check: %s", verdict.message)
        self._hold = verdict.holds
        self.egress_note = verdict.message
        report = verdict.report(self.account, self.path, observed, self._expected)
        await self._on_report(report)
        return report

    async def close(self) -> None:
        if self._periodic is not None:
            self._periodic.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._periodic
            self._periodic = None
        await self.inner.close()

    async def qualify(self, instrument: Instrument) -> Instrument:
        return await self.inner.qualify(instrument)

    def protect_order_ids(self, high_water: int) -> None:
        self.inner.protect_order_ids(high_water)

    def reserve_order_id(self) -> OrderIdLease | None:
        return self.inner.reserve_order_id()

    async def place(
        self, order: ApprovedOrder, instrument: Instrument, order_id: int | None = None
    ) -> BrokerOrder:
        if self._hold:
            raise EgressMismatchError(f"trading disabled: {self.egress_note}")
        return await self.inner.place(order, instrument, order_id)

    async def place_bracket(
        self, legs: list[ApprovedOrder], instrument: Instrument, order_ids: list[int | None]
    ) -> list[BrokerOrder | BrokerRejectedError]:
        if self._hold:
            raise EgressMismatchError(f"trading disabled: {self.egress_note}")
        return await self.inner.place_bracket(legs, instrument, order_ids)

    async def cancel(self, client_order_id: str) -> None:
        await self.inner.cancel(client_order_id)

    async def amend(self, order: ApprovedOrder, instrument: Instrument) -> BrokerOrder:
        if self._hold:
            raise EgressMismatchError(f"trading disabled: {self.egress_note}")
        return await self.inner.amend(order, instrument)

    async def cancel_all(self, account: str) -> list[SweptOrder]:
        return await self.inner.cancel_all(account)

    async def snapshot(self) -> BrokerSnapshot:
        return await self.inner.snapshot()

    async def truth(self, account: str) -> BrokerTruth:
        return await self.inner.truth(account)

    async def subscribe_quotes(self, instrument: Instrument) -> None:
        await self.inner.subscribe_quotes(instrument)

    async def unsubscribe_quotes(self, instrument: Instrument) -> None:
        await self.inner.unsubscribe_quotes(instrument)

    async def history(self, request: HistoryRequest) -> list[Bar]:
        return await self.inner.history(request)  # market data, like quotes: not held

    async def session_command(self, command: str) -> AuthStatusReport | EgressReport | None:
        if command == "check_egress":
            if self._echo is None:
                return self._unchecked()
            return await self.check()
        return await self.inner.session_command(command)

    async def _every(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            await self.check()

    def _unchecked(self) -> EgressReport:
        """No echo URL: nothing was checked, so nothing holds."""
        verdict = EgressVerdict("unchecked", UNCHECKED, holds=False)
        return verdict.report(self.account, self.path, None, self._expected)
