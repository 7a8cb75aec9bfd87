"""``sluice sim tws``: a simulated IB Gateway any ib_async bot can connect to."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from datetime import time
from decimal import Decimal
from typing import Annotated

import typer
import uvicorn

from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.http import create_app
from sluice_sim.tws.server import TwsServer


def tws(
    *,
    port: Annotated[int, typer.Option(help="API socket port (4002 = IB Gateway paper)")] = 4002,
    host: Annotated[str, typer.Option(help="listen address (keep it on loopback)")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="seed of quotes and ids")] = 1,
    account: Annotated[list[str] | None, typer.Option(help="managed account (repeat)")] = None,
    read_only: Annotated[bool, typer.Option(help="Read-Only API mode")] = False,
    pacing: Annotated[int, typer.Option(help="max messages per second per client")] = 50,
    trusted_ip: Annotated[list[str] | None, typer.Option(help="trusted IP (repeat)")] = None,
    master_client_id: Annotated[int | None, typer.Option(help="sees all API orders")] = None,
    max_fill: Annotated[str | None, typer.Option(help="liquidity per quote step")] = None,
    quote_interval: Annotated[float, typer.Option(help="seconds per quote step")] = 1.0,
    restart_at: Annotated[str | None, typer.Option(help="daily restart HH:MM (UTC)")] = None,
    restart_window: Annotated[float, typer.Option(help="seconds refused on restart")] = 60.0,
    control_port: Annotated[
        int, typer.Option(help="HTTP control API port (0: a free one; the URL is printed)")
    ] = 0,
    control: Annotated[bool, typer.Option(help="serve the HTTP control API")] = True,
) -> None:
    """Run the TWS wire-protocol simulator (server version 176) until interrupted."""
    config = TwsConfig(
        host=host,
        port=port,
        seed=seed,
        accounts=tuple(account or ("DU1234567",)),
        read_only=read_only,
        pacing_msgs_per_s=pacing,
        trusted_ips=frozenset(trusted_ip) if trusted_ip else None,
        master_client_id=master_client_id,
        max_fill_per_step=Decimal(max_fill) if max_fill else None,
        quote_interval=quote_interval,
        restart_at=time.fromisoformat(restart_at) if restart_at else None,
        restart_window=restart_window,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config, control_port if control else None))


async def _serve(config: TwsConfig, control_port: int | None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = TwsServer(config)
    control = TwsControl(server)
    await server.start()
    server.spawn(control.run_daily_restarts())
    typer.echo(f"TWS simulator on {config.host}:{server.port} accounts={','.join(config.accounts)}")
    try:
        if control_port is None:
            await asyncio.Event().wait()
        # Bound here so that port 0 (the default) gives a free port we can print: two
        # simulators side by side never fight over a fixed control port.
        sock = socket.create_server(("127.0.0.1", control_port))
        typer.echo(f"control API on http://127.0.0.1:{sock.getsockname()[1]}")
        config_http = uvicorn.Config(create_app(control), log_level="warning")
        await uvicorn.Server(config_http).serve(sockets=[sock])
    finally:
        await server.stop()
