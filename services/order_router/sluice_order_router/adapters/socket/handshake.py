"""One connection attempt to IB Gateway / TWS, failing fast with a diagnosis.

ib_async reports a refused client id (error 326, then the socket closes) only by timing out.
This watches the error stream and the socket while ``connectAsync`` runs and raises at once
with what went wrong; ``sluice doctor`` uses the same classification.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from ib_async import IB

CLIENT_ID_IN_USE = 326


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how to connect."""

    host: str
    port: int
    account: str = ""
    timeout_s: float = 4.0


class ClientIdInUseError(ConnectionError):
    """IBKR refused the client id (326): another session uses it."""

    def __init__(self, client_id: int, text: str) -> None:
        super().__init__(f"client id {client_id} is already in use (IBKR 326: {text})")
        self.client_id = client_id


class ClosedAtOnceError(ConnectionError):
    """The gateway accepted the TCP connection and closed it before the API handshake.

    IB Gateway does this to a source address that is not in its Trusted IPs.
    """


class ClosedDuringStartError(ConnectionError):
    """The gateway closed the socket during the API start, without saying why."""


async def open_api(ib: IB, endpoint: Endpoint, client_id: int) -> None:
    """Connect ``ib`` or raise one of this module's errors, ``ConnectionRefusedError``,
    ``OSError`` (e.g. the bind address is not local) or ``TimeoutError``."""
    loop = asyncio.get_running_loop()
    failure: asyncio.Future[Exception] = loop.create_future()

    def on_error(req_id: int, code: int, text: str, contract: Any) -> None:
        if code == CLIENT_ID_IN_USE and not failure.done():
            failure.set_result(ClientIdInUseError(client_id, text))

    def on_api_error(message: str) -> None:
        # ib_async raises this only once the handshake is done (before resetting the state)
        if not failure.done() and not message.startswith("API connection failed"):
            failure.set_result(ClosedDuringStartError(f"closed during API start: {message}"))

    def on_socket_closed(message: str) -> None:
        if not failure.done():  # closed and no API error first: closed before the handshake
            reason = message or "peer closed the connection"
            failure.set_result(ClosedAtOnceError(f"closed before the API handshake: {reason}"))

    ib.errorEvent += on_error
    ib.client.apiError += on_api_error
    ib.client.conn.disconnected += on_socket_closed
    connecting = asyncio.ensure_future(
        ib.connectAsync(
            endpoint.host,
            endpoint.port,
            clientId=client_id,
            timeout=endpoint.timeout_s,
            account=endpoint.account,
        )
    )
    try:
        await asyncio.wait({connecting, failure}, return_when=asyncio.FIRST_COMPLETED)
        if connecting.done() and connecting.exception() is None:
            return
        if failure.done():
            connecting.cancel()
            with contextlib.suppress(BaseException):
                await connecting
            ib.disconnect()
            raise failure.result()
        connecting.result()  # re-raises ib_async's exception
    finally:
        ib.errorEvent -= on_error
        ib.client.apiError -= on_api_error
        ib.client.conn.disconnected -= on_socket_closed
        if not failure.done():
            failure.cancel()
