"""A standalone service process: settings → logs, tracing → Kafka bus → component → HTTP.

``run_service`` is what each ``python -m sluice_<name>`` calls. HTTP is up first, so a service
whose broker is unreachable at start is live (``/healthz``) but not ready (``/readyz`` says it
waits for the bus): it tries the bus again with capped backoff, one log line per attempt,
instead of exiting. Shutdown on SIGTERM/SIGINT goes in a fixed order: readiness drops, the
component stops, the bus stops (committing what was handled), the HTTP server closes, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

from sluice_bus.api import Bus
from sluice_runtime.buses import settings_bus
from sluice_runtime.component import Assembly, Component
from sluice_runtime.config import (
    CONFIG_EXIT_CODE,
    ConfigError,
    Problem,
    SluiceSettings,
    exit_config_error,
    load_settings,
    print_config_error,
)
from sluice_runtime.logs import configure_logging
from sluice_runtime.metrics import ServiceMetrics
from sluice_runtime.outages import OutageLog
from sluice_runtime.redaction import redact
from sluice_runtime.server import HttpServer, stop_event_on_signals
from sluice_runtime.tracing import flush_tracing, setup_tracing
from sluice_runtime.web import Phase, RunState, build_app

log = logging.getLogger(__name__)

S = TypeVar("S", bound=SluiceSettings)
Build = Callable[[S, Bus], Assembly[Component]]
BusFactory = Callable[[SluiceSettings, str], Bus]

EXIT_FAILED = 1
BUS_RETRY_INITIAL_S = 0.5
BUS_RETRY_MAX_S = 10.0
"""Waits between two attempts to start the bus: doubling from the first, capped at the max."""


def kafka_bus(settings: SluiceSettings, service: str) -> Bus:
    """The Kafka backend; a standalone service has no other (``ConfigError`` without brokers)."""
    if not settings.kafka_bootstrap:
        raise ConfigError(
            [
                Problem(
                    "SLUICE_KAFKA_BOOTSTRAP",
                    "required for a standalone service (host:port of the Kafka brokers); "
                    "the in-memory bus exists only in the embedded stack (`sluice up`)",
                )
            ]
        )
    return settings_bus(settings, service)


def run_service(
    name: str, settings_cls: type[S], build: Build[S], *, bus_factory: BusFactory = kafka_bus
) -> NoReturn:
    """Run one service until SIGTERM/SIGINT; exits 0 after a clean shutdown, 2 on bad config."""
    settings = load_settings(settings_cls)
    service = settings.service_name or name
    try:
        bus = bus_factory(settings, service)
    except ConfigError as exc:
        exit_config_error(exc)
    configure_logging(service, settings.log_level, fmt=settings.log_format)
    setup_tracing(service, settings.otlp_endpoint)
    log.info("%s starting", service)
    try:
        code = asyncio.run(serve(service, settings, build, bus))
    finally:
        flush_tracing()
    raise SystemExit(code)


async def serve(service: str, settings: S, build: Build[S], bus: Bus) -> int:
    """Start everything, wait for a signal, stop in order; the process exit status."""
    stop = stop_event_on_signals()
    metrics = ServiceMetrics(service)
    metrics.observe(bus)
    try:
        assembly = build(settings, bus)
    except ConfigError as exc:  # a service's own guard (e.g. live/paper disagreement)
        exit_config_error(exc)
    metrics.register(assembly.metrics)
    component = assembly.component
    state = RunState()
    outage = OutageLog("the bus", bus.client_loggers).attach()
    bus.link_observer = outage
    http = HttpServer(
        build_app(component, bus, metrics, state, assembly.routes),
        settings.http_host,
        settings.http_port,
    )
    await http.start()
    log.info("%s listening on %s:%d", service, settings.http_host, http.port)
    code = 0
    try:
        started = await _unless_stopped(_start(bus, component), stop)
        if started:
            state.phase = Phase.RUNNING
            log.info("%s running", service)
            code = await _until_stopped_or_failed(bus, stop)
    except ConfigError as exc:  # a guard that needs the bus (e.g. an account another holds)
        print_config_error(exc)
        code = CONFIG_EXIT_CODE
    except Exception:
        log.exception("%s failed to start", service)
        code = EXIT_FAILED
    finally:
        state.phase = Phase.STOPPING
        code = max(code, await stop_in_order(bus, component))
        await http.stop()
        outage.detach()
    log.info("%s stopped (exit %d)", service, code)
    return code


async def _until_stopped_or_failed(bus: Bus, stop: asyncio.Event) -> int:
    """Wait for a stop signal (exit 0) or a fatal bus failure (exit non-zero, so the
    orchestrator restarts the service and it rebuilds its state from the log)."""
    stopped = asyncio.create_task(stop.wait())
    failed = asyncio.create_task(bus.wait_failed())
    await asyncio.wait({stopped, failed}, return_when=asyncio.FIRST_COMPLETED)
    for task in (stopped, failed):
        task.cancel()
    if bus.failure is None:
        return 0
    log.error("%s cannot go on (%s); exiting to restart", bus.service, bus.failure)
    return EXIT_FAILED


async def _start(bus: Bus, component: Component) -> None:
    await start_bus(bus)
    log.info("%s: bus started", bus.service)
    await component.start()


async def start_bus(
    bus: Bus, initial_s: float = BUS_RETRY_INITIAL_S, max_s: float = BUS_RETRY_MAX_S
) -> None:
    """Start ``bus``, trying again with capped backoff while its backend is unreachable; the
    bus's ``unreachable`` says why meanwhile (``/readyz``), one WARNING line per attempt.

    Hand-written (not tenacity, which only the bus depends on): it is one loop, and each
    failure must also reach the bus's ``link_changed``.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            await bus.start()
        except Exception as exc:  # unreachable (or refusing): live, not ready, try again
            reason = redact(f"{type(exc).__name__}: {exc}")  # it goes to /readyz too
            bus.link_changed(reason)
            wait = min(max_s, initial_s * 2 ** min(attempt - 1, 30))
            log.warning(
                "%s: the bus did not start (attempt %d: %s); trying again in %g s",
                bus.service,
                attempt,
                reason,
                wait,
            )
            await asyncio.sleep(wait)
        else:
            bus.link_changed(None)
            return


async def _unless_stopped(work: Awaitable[None], stop: asyncio.Event) -> bool:
    """Await ``work`` unless ``stop`` is set first (then cancel it); True if it finished."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if task.done():
        task.result()
        return True
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return False


async def stop_in_order(bus: Bus, component: Component) -> int:
    """Component first (no new work), then the bus (commits what was handled); exit status."""
    code = 0
    for what, stop in (("component", component.stop), ("bus", bus.stop)):
        try:
            await stop()
        except Exception:
            log.exception("stopping the %s failed", what)
            code = EXIT_FAILED
    return code
