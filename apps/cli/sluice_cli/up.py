"""``sluice up``: the embedded stack until stopped (in-memory bus, or Kafka when configured)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

from sluice_cli.stack import LocalStack, StackConfig
from sluice_runtime.config import SluiceSettings, load_settings
from sluice_runtime.logs import configure_logging
from sluice_runtime.server import stop_event_on_signals
from sluice_runtime.tracing import setup_tracing


def up(
    http_port: Annotated[
        int, typer.Option(help="first of 4 HTTP ports: risk, router, keeper, market-data")
    ] = 8081,
    account: Annotated[str, typer.Option(help="the simulated paper account")] = "DU1234567",
    seed: Annotated[int, typer.Option(help="seed of the simulated market")] = 7,
) -> None:
    """Run the four services and the TWS simulator until SIGINT/SIGTERM.

    On the in-memory bus by default; on Kafka when SLUICE_KAFKA_BOOTSTRAP is set, so that
    ``sluice signal`` and ``sluice tail`` can reach it from other processes.
    """
    settings = load_settings(SluiceSettings)
    configure_logging("sluice-up", settings.log_level)
    setup_tracing("sluice-up", settings.otlp_endpoint)
    config = StackConfig(account=account, seed=seed, http_port=http_port, bus=settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(config))


async def _run(config: StackConfig) -> None:
    stop = stop_event_on_signals()
    stack = LocalStack(config)
    bootstrap = config.bus.kafka_bootstrap if config.bus else None
    bus = f"Kafka at {bootstrap}" if bootstrap else "the in-memory bus"
    typer.echo(f"sluice up: four services on {bus}, account {config.account}")
    port = config.http_port or 0
    typer.echo(
        f"HTTP: risk :{port}, order-router :{port + 1}, session-keeper :{port + 2}, "
        f"market-data :{port + 3}"
    )
    await stack.start()
    typer.echo(f"TWS simulator on 127.0.0.1:{stack.tws.port}; Ctrl-C stops")
    try:
        await stop.wait()
    finally:
        await stack.stop()
