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

from sluice_order_router.domain.history import (
    InvalidHistoryError,
    check_spelling,
    history_refusal,
    pacing_key,
)
from sluice_order_router.domain.history_pacing import HistoryPacer
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
        key = pacing_key(request)
        async with self._turn:
            slot = self._pacer.earliest(key, loop.time())
            if slot >= deadline:
                wait = slot - loop.time()
                log.info("history %s refused: pacing holds it %.1fs", request.request_id, wait)
                return _rejected(
                    request, "PACING",
                    f"the broker's historical pacing allows this request in {wait:.1f}s, "
                    "after it expires",
                )  # fmt: skip
            await asyncio.sleep(max(0.0, slot - loop.time()))
            self._pacer.sent(key, loop.time())
        try:
            async with asyncio.timeout_at(deadline):
                bars = await self._gateway.history(request)
        except TimeoutError:
            return _rejected(request, "TIMEOUT", "the broker did not answer before expiry")
        except InvalidHistoryError as exc:
            return _rejected(request, "INVALID_REQUEST", str(exc))
        except NotConnectedError as exc:
            return _rejected(request, "NOT_CONNECTED", str(exc))
        except BrokerRejectedError as exc:
            return _rejected(request, history_refusal(exc.code, exc.text), str(exc))
        return HistoryBars(request_id=request.request_id, instrument=request.instrument, bars=bars)


def _rejected(request: HistoryRequest, reason: HistoryRejectReason, text: str) -> HistoryRejected:
    return HistoryRejected(
        request_id=request.request_id, instrument=request.instrument, reason=reason, message=text
    )
