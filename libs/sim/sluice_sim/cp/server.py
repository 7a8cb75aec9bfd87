"""Run the simulator: HTTPS on a loopback socket, in the caller's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import uvicorn

from .app import create_app
from .control import CpControl
from .oauth_keys import OAuthKeys
from .state import CpSimConfig, CpState
from .tls import TlsMaterial, generate_self_signed


class CpSimulator:
    """A Client Portal Gateway look-alike (or, with ``mode="webapi"``, IBKR's hosted Web API
    with OAuth 1.0a); ``base_url`` and ``cert_path`` are what clients need."""

    def __init__(
        self,
        config: CpSimConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: TlsMaterial | None = None,
        oauth_keys: OAuthKeys | None = None,
    ) -> None:
        """``oauth_keys``: the ``webapi`` consumer's keys (default: freshly generated)."""
        self.config = config or CpSimConfig()
        self.state = CpState(self.config, oauth_keys=oauth_keys)
        self.control = CpControl(self.state)
        self.tls = tls or generate_self_signed(self.config.hostnames)
        self._host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def cert_path(self) -> Path:
        """The self-signed certificate to pin (it is its own CA)."""
        return self.tls.cert_path

    @property
    def oauth_keys(self) -> OAuthKeys:
        """``webapi`` mode: the registered consumer's keys, token and secret."""
        if self.state.oauth is None:
            raise RuntimeError("the simulator is not in webapi (OAuth) mode")
        return self.state.oauth.keys

    @property
    def port(self) -> int:
        return self._port

    def base_url(self, host: str = "localhost") -> str:
        """``https://<host>:<port>/v1/api``."""
        return f"https://{host}:{self._port}/v1/api"

    async def start(self) -> None:
        """Bind, start serving, and return once the listener accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.state, self.control),
            ssl_certfile=str(self.tls.cert_path),
            ssl_keyfile=str(self.tls.key_path),
            log_level="warning",
            lifespan="off",
            ws="wsproto",
        )
        self._server = uvicorn.Server(config)
        self._tasks.append(asyncio.create_task(self._server.serve(sockets=[sock])))
        if self.config.tick_interval_s:
            self._tasks.append(
                asyncio.create_task(self.state.venue.run(self.config.tick_interval_s))
            )
        while not self._server.started:
            if self._tasks[0].done():
                self._tasks[0].result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop serving and the quote stream."""
        if self._server is not None:
            self._server.should_exit = True
        for task in self._tasks[1:]:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def serve_forever(self) -> None:
        """Start (unless started) and run until cancelled (the ``sluice sim cp`` command)."""
        if not self._tasks:
            await self.start()
        try:
            await self._tasks[0]
        finally:
            await self.stop()
