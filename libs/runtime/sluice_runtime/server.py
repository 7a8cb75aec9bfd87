"""Serving an ASGI app with uvicorn inside a runtime that owns the process's signals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The runtime stops the component and the bus before the HTTP server; uvicorn
        # catching SIGTERM (and re-raising it on exit) would cut that order short.
        yield


class HttpServer:
    """One uvicorn server on a socket bound up front, so a busy port fails at start."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.create_server((host, port), family=family)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start serving; returns once uvicorn has started."""
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # uvicorn failed at startup: raise its error
                raise RuntimeError("HTTP server stopped during startup")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        """Finish in-flight requests and close the socket."""
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        self._socket.close()


def stop_event_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT (call from the main thread's running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _on_signal, sig, stop)
    return stop


def _on_signal(sig: signal.Signals, stop: asyncio.Event) -> None:
    log.info("received %s, shutting down", sig.name)
    stop.set()
