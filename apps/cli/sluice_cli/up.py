"""``sluice up``: the embedded stack until stopped (in-memory bus, or Kafka when configured)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from sluice_bus import ConsumerOptions, Message
from sluice_cli.broker_reach import BOOTSTRAP_ENV, kafka_client
from sluice_proto import SessionState
from sluice_proto.topics import ORDERS_EVENTS, SESSION_STATE
from sluice_runtime.config import SluiceSettings, load_settings
from sluice_runtime.logs import configure_logging
from sluice_runtime.server import HttpServer, stop_event_on_signals
from sluice_runtime.tracing import setup_tracing
from sluice_runtime.web import readiness

if TYPE_CHECKING:
    from sluice_cli.stack import LocalStack, StackConfig

SERVICES = ("market-data", "risk", "session-keeper", "order-router")
"""The HTTP port order, shared with docker-compose.yml (8081-8084)."""
CHATTY = ("uvicorn", "uvicorn.error", "uvicorn.access", "ib_async", "aiokafka")
"""Libraries whose INFO lines are noise to a person watching ``sluice up``."""
EXAMPLE = (
    '{"type": "signal", "signal_id": "s-42", "strategy_id": "momo", "symbol": "AAPL", '
    '"side": "BUY", "quantity": "100", "order_type": "LMT", "limit_price": "187.40"}'
)


def up(
    *,
    http_port: Annotated[
        int,
        typer.Option(help="first of 4 HTTP ports: market-data, risk, session-keeper, router"),
    ] = 8081,
    signals_port: Annotated[
        int, typer.Option(help="HTTP port of POST /signals and GET /orders/{id}")
    ] = 8080,
    sim_port: Annotated[int, typer.Option(help="TWS simulator API port (0: any free)")] = 4002,
    bootstrap: Annotated[
        str | None,
        typer.Option(help=f"run on this Kafka (default: ${BOOTSTRAP_ENV}; unset: in memory)"),
    ] = None,
    account: Annotated[str, typer.Option(help="the simulated paper account")] = "DU1234567",
    seed: Annotated[int, typer.Option(help="seed of the simulated market")] = 7,
) -> None:
    """Run the four services and the TWS simulator until Ctrl-C (SIGINT/SIGTERM).

    On the in-memory bus by default: signals go in through POST /signals. On Kafka with
    --bootstrap or SLUICE_KAFKA_BOOTSTRAP, where ``sluice signal`` and ``sluice tail`` reach it.
    Logs are text on a terminal and JSON otherwise (SLUICE_LOG_FORMAT=json|text to choose).
    """
    # The four services (and FastAPI, for POST /signals) load when the stack is built, not
    # for ``sluice up --help`` (bench cli_start).
    from sluice_cli.stack import StackConfig  # noqa: PLC0415

    settings = load_settings(SluiceSettings)
    if bootstrap:
        settings = settings.model_copy(update={"kafka_bootstrap": bootstrap})
    configure_logging("sluice-up", settings.log_level, fmt=settings.log_format)
    if settings.log_level == "INFO":
        for name in CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)
    setup_tracing("sluice-up", settings.otlp_endpoint)
    config = StackConfig(
        account=account, seed=seed, http_port=http_port, sim_port=sim_port, bus=settings
    )
    reach = (
        kafka_client(settings.kafka_bootstrap, quiet=False)
        if settings.kafka_bootstrap
        else contextlib.nullcontext()
    )
    try:
        with reach, contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run(config, signals_port))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        typer.echo(
            f"sluice up: {exc.strerror}; choose free ports with --http-port, --signals-port "
            "and --sim-port",
            err=True,
        )
        raise typer.Exit(2) from None


async def _run(config: StackConfig, signals_port: int) -> None:
    from sluice_cli.signal_api import OrderLog, signal_api  # noqa: PLC0415
    from sluice_cli.stack import LocalStack  # noqa: PLC0415

    stop = stop_event_on_signals()
    stack = LocalStack(config)
    orders, trading = OrderLog(), asyncio.Event()

    async def on_session(message: Message[object]) -> None:
        event = message.event
        if isinstance(event, SessionState) and event.account == config.account:
            (trading.set if event.trading_allowed else trading.clear)()

    await stack.start()
    try:
        # Fresh groups, as `sluice tail` does: on Kafka a restart must not resume old offsets,
        # and the compacted session topic is read from its start for the latest verdict.
        run = uuid.uuid4().hex[:8]
        await stack.operator.consume(
            [ORDERS_EVENTS], group=f"sluice-up-{run}", handler=orders.on_event
        )
        await stack.operator.consume(
            [SESSION_STATE],
            group=f"sluice-up-session-{run}",
            handler=on_session,
            options=ConsumerOptions(from_beginning=True),
        )
        api = HttpServer(signal_api(stack.operator, orders), "127.0.0.1", signals_port)
        await api.start()
        announce = asyncio.create_task(_announce_ready(stack, trading))
        try:
            _print_where(stack, api.port)
            await stop.wait()
        finally:
            announce.cancel()
            await api.stop()
    finally:
        await stack.stop()


async def _announce_ready(stack: LocalStack, trading: asyncio.Event) -> None:
    """One line once every service is ready and the session-keeper allows trading (a signal
    sent before waits, parked by risk, or is refused with ``"park": false``)."""
    await trading.wait()
    members = [stack.services.member(name) for name in SERVICES]
    # Readiness has no change notification: poll it.
    while not all(readiness(m.component, m.bus, m.state)[0] for m in members):  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    typer.echo("ready: the session is up and the four services take signals")


def _print_where(stack: LocalStack, signals_port: int) -> None:
    """Say where everything is, once everything listens."""
    bootstrap = stack.config.bus.kafka_bootstrap if stack.config.bus else None
    bus = f"Kafka at {bootstrap}" if bootstrap else "the in-memory bus"
    lines = [f"sluice up: four services on {bus}, account {stack.config.account}"]
    for name in SERVICES:
        server = stack.services.member(name).server
        if server is not None:
            lines.append(f"  {name:<15} http://127.0.0.1:{server.port}  /healthz /readyz /metrics")
    lines += [
        f"  {'TWS simulator':<15} 127.0.0.1:{stack.tws.port}  (IB Gateway paper API)",
        f"  {'signals':<15} POST http://127.0.0.1:{signals_port}/signals, "
        f"GET http://127.0.0.1:{signals_port}/orders/<client_order_id>",
        "send the README's example signal:",
        f"  curl -s -X POST http://127.0.0.1:{signals_port}/signals -d '{EXAMPLE}'",
        "Ctrl-C stops",
    ]
    typer.echo("\n".join(lines))
