"""Historical bars on request: ``sluice.md.history.requests.v1`` in, replies out.

Every request passes ``HistoryPacer`` (IBKR's historical pacing rules) one at a time, so IBKR
never has to answer 162 for pacing: a request waits for its slot, or is refused with
``PACING`` at once when the slot is past its expiry (its asker would be gone). IBKR's refusals
reach market-data only as the contract's reasons.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from msgspec.structs import replace

from sluice_order_router.domain.history import (
    InvalidHistoryError,
    check_spelling,
    history_refusal,
    pacing_key,
)
from sluice_order_router.domain.history_pacing import HistoryPacer, PacingKey
from sluice_order_router.ports import BrokerGateway, BrokerRejectedError, NotConnectedError
from sluice_order_router.publisher import Publisher
from sluice_proto.common import utc_now
from sluice_proto.history import (
    HistoryBars,
    HistoryRejected,
    HistoryRejectReason,
    HistoryReply,
    HistoryRequest,
)

log = logging.getLogger(__name__)

NO_EXPIRY_WAIT = timedelta(seconds=60)
"""How long a request without ``expires_at`` may wait for pacing and IBKR together."""


class HistoryDesk:
    """Answers each request once, in its own task, so a paced one never blocks the consumer."""

    def __init__(
        self,
        gateway: BrokerGateway,
        publisher: Publisher,
        *,
        pacer: HistoryPacer | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._gateway = gateway
        self._publish = publisher
        self._pacer = pacer or HistoryPacer()
        self._now = now
        self._turn = asyncio.Lock()  # one request at a time through the pacer
        self._tasks: set[asyncio.Task[None]] = set()

    async def request(self, request: HistoryRequest) -> None:
        """Take a request; its reply is published when it is ready."""
        task = asyncio.create_task(self._serve(request), name=f"history-{request.request_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Drop the requests still in hand (their askers time out)."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _serve(self, request: HistoryRequest) -> None:
        reply = await self.answer(request)
        if reply is not None:
            await self._publish.history(reply)

    async def answer(self, request: HistoryRequest) -> HistoryReply | None:
        """Bars, a refusal, or None when the request expired before it could go."""
        now = self._now()
        expires = request.expires_at or (request.ts + NO_EXPIRY_WAIT)
        if expires <= now:
            return None  # the asker has given up: spend no pacing on it
        try:
            check_spelling(request)  # before the pacer: a request IBKR cannot take costs nothing
        except InvalidHistoryError as exc:
            return _rejected(request, "INVALID_REQUEST", str(exc))
        if not self._gateway.connected:
            return _rejected(request, "NOT_CONNECTED", "the broker link is down")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (expires - now).total_seconds()
        try:
            async with asyncio.timeout_at(deadline):
                # the contract lookup is a round trip of its own: done before the pacer stamps
                # the request, so the stamp is when the request itself goes (IBKR times it on
                # arrival, and a lookup slowed by load would bunch it with later ones)
                instrument = await self._gateway.qualify(request.instrument)
                qualified = replace(request, instrument=instrument)  # paced by its conId
                held = await self._take_slot(pacing_key(qualified), deadline)
                if held is not None:
                    log.info("history %s refused: pacing holds it %.1fs", request.request_id, held)
                    return _rejected(
                        request, "PACING",
                        f"the broker's historical pacing allows this request in {held:.1f}s, "
                        "after it expires",
                    )  # fmt: skip
                bars = await self._gateway.history(qualified)
        except TimeoutError:
            return _rejected(request, "TIMEOUT", "the broker did not answer before expiry")
        except InvalidHistoryError as exc:
            return _rejected(request, "INVALID_REQUEST", str(exc))
        except NotConnectedError as exc:
            return _rejected(request, "NOT_CONNECTED", str(exc))
        except BrokerRejectedError as exc:
            return _rejected(request, history_refusal(exc.code, exc.text), str(exc))
        return HistoryBars(request_id=request.request_id, instrument=request.instrument, bars=bars)

    async def _take_slot(self, key: PacingKey, deadline: float) -> float | None:
        """Wait for the request's pacing slot and record it as sent; or, at once, how long
        pacing would hold it when the slot is past ``deadline``."""
        loop = asyncio.get_running_loop()
        async with self._turn:
            slot = self._pacer.earliest(key, loop.time())
            if slot >= deadline:
                return slot - loop.time()
            await asyncio.sleep(max(0.0, slot - loop.time()))
            self._pacer.sent(key, loop.time())
        return None


def _rejected(request: HistoryRequest, reason: HistoryRejectReason, text: str) -> HistoryRejected:
    return HistoryRejected(
        request_id=request.request_id, instrument=request.instrument, reason=reason, message=text
    )
