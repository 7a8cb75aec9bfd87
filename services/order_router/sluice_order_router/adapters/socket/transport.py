"""ib_async's ``IB`` with Sluice's transport: paced sends and an optional source address.

Three narrow seams of ib_async 2.1.0: ``Client.sendMsg`` (every API request passes through it;
ib_async's own throttle is replaced by the ``Pacer``, and an order's messages may carry a
``SendGuard``), ``Connection.connectAsync`` (to pass
``local_addr`` to ``loop.create_connection`` so the socket leaves from the reserved IP) and
``Client.updateReqId`` (ib_async seeds its id sequence there with the handshake's
``nextValidId``, which may roll back below ids already sent: ``start_ids`` overrules it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from ib_async import IB
from ib_async.client import Client
from ib_async.connection import Connection

from sluice_order_router.adapters.socket.pacing import Pacer, SendGuard


class BoundConnection(Connection):
    """A connection whose socket is bound to ``local_host`` (no fallback to another route)."""

    def __init__(self, local_host: str | None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.local_host = local_host

    async def connectAsync(self, host: str, port: int) -> None:  # noqa: N802  # ib_async's name
        if self.transport:
            self.disconnect()  # type: ignore[no-untyped-call]
            await self.disconnected
        self.reset()  # type: ignore[no-untyped-call]
        local_addr = (self.local_host, 0) if self.local_host else None
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_connection(
            lambda: self, host, port, local_addr=local_addr
        )


class PacedClient(Client):
    """ib_async's client with every request released through one ``Pacer``."""

    def __init__(self, wrapper: Any, pacer: Pacer, local_host: str | None) -> None:
        self.pacer = pacer
        self._guard: SendGuard | None = None
        self.start_ids: Callable[[int], int] = lambda next_valid_id: next_valid_id
        """IBKR's ``nextValidId`` at the handshake → the id the sequence starts from."""
        super().__init__(wrapper)  # type: ignore[no-untyped-call]
        self.conn = BoundConnection(local_host)
        self.conn.hasData += self._onSocketHasData
        self.conn.disconnected += self._onSocketDisconnected

    def sendMsg(self, msg: str) -> None:  # noqa: N802  # ib_async's name
        payload = self._prefix(msg.encode())  # type: ignore[no-untyped-call]
        self.pacer.submit(lambda: self.conn.sendMsg(payload), self._guard)  # type: ignore[no-untyped-call]

    @contextlib.contextmanager
    def guarded(self, guard: SendGuard | None) -> Iterator[None]:
        """The messages sent inside go under ``guard`` (ib_async's ``placeOrder`` sends
        synchronously, so nothing else is sent meanwhile)."""
        self._guard = guard
        try:
            yield
        finally:
            self._guard = None

    def updateReqId(self, minReqId: int) -> None:  # noqa: N802, N803  # ib_async's names
        if not self.isReady():  # during the handshake: this is IBKR's nextValidId
            minReqId = self.start_ids(minReqId)  # noqa: N806
        super().updateReqId(minReqId)  # type: ignore[no-untyped-call]

    def reset(self) -> None:
        super().reset()  # type: ignore[no-untyped-call]
        self.pacer.clear()


class SluiceIB(IB):
    """``IB`` wired to a ``PacedClient``."""

    def __init__(self, pacer: Pacer, local_host: str | None = None) -> None:
        super().__init__()
        self.paced = PacedClient(self.wrapper, pacer, local_host)
        self.client = self.paced
        self.client.apiEnd += self.disconnectedEvent
