"""``sluice up``: the embedded stack until stopped (in-memory bus, or Kafka when configured)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Annotated

import typer

from sluice_cli.stack import LocalStack, StackConfig
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
    configure_logging("sluice-up", os.environ.get("SLUICE_LOG_LEVEL", "INFO"))
    setup_tracing("sluice-up", os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None)
    config = StackConfig(
        account=account,
        seed=seed,
        http_port=http_port,
        kafka_bootstrap=os.environ.get("SLUICE_KAFKA_BOOTSTRAP") or None,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(config))


async def _run(config: StackConfig) -> None:
    stop = stop_event_on_signals()
    stack = LocalStack(config)
    bus = f"Kafka at {config.kafka_bootstrap}" if config.kafka_bootstrap else "the in-memory bus"
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
