"""What a restarting order-router loads before it is ready: none of the heavy modules it does
not use (docs/e2e.md, start-up). Checked in a fresh interpreter: ``sys.modules`` after the
imports ``python -m sluice_order_router`` does and its socket gateway needs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sluice_runtime

ROUTER = """
import sys
import sluice_order_router.__main__
from sluice_order_router.adapters.socket.gateway import SocketGateway
from sluice_runtime.web import build_app
from sluice_runtime.tracing import setup_tracing
setup_tracing("order-router")
print(" ".join(sorted(sys.modules)))
"""
NOT_NEEDED = (
    "fastapi",  # no routes of its own: a bare Starlette app
    "httpx",  # no echo URL, not the REST path
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",  # no OTLP endpoint
    "opentelemetry.instrumentation.fastapi",
    "sluice_order_router.adapters.rest.gateway",
    "sluice_runtime.embedded",
)


def test_the_socket_router_loads_none_of_the_modules_it_does_not_use() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", ROUTER], capture_output=True, text=True, check=True
    ).stdout.split()

    assert [name for name in NOT_NEEDED if name in loaded] == []


def test_every_name_of_the_runtime_package_loads() -> None:
    for name in sluice_runtime.__all__:
        assert getattr(sluice_runtime, name) is not None


CLI_KAFKA_COMMANDS = (
    "signal", "tail", "kill", "resume", "accept-broker", "subscribe", "unsubscribe", "cancel",
    "amend", "status", "pnl", "positions", "orders",
)  # fmt: skip
CLI = f"""
import sys
import sluice_cli.main as main
for name in {CLI_KAFKA_COMMANDS!r}:
    main.load(name)
print(" ".join(sorted(sys.modules)))
"""
CLI_NOT_NEEDED = (
    "rich",  # only to print a table, when one is printed
    "opentelemetry.instrumentation.aiokafka",  # never instrumented in the CLI
    "opentelemetry.sdk",
    "fastapi",
    "httpx",
    "ib_async",
    "numpy",
    "prometheus_client",
    "uvicorn",
    "sluice_market_data",
    "sluice_order_router",
    "sluice_risk",
    "sluice_session_keeper",
)


def test_the_cli_kafka_commands_load_none_of_the_modules_they_do_not_use() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", CLI], capture_output=True, text=True, check=True
    ).stdout.split()

    assert [name for name in CLI_NOT_NEEDED if name in loaded] == []


INSTRUMENTED = """
import sys
from sluice_bus.kafka_send import aiokafka_instrumented
INSTRUMENTATION = "opentelemetry.instrumentation.aiokafka"
before = aiokafka_instrumented(), INSTRUMENTATION in sys.modules
from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
AIOKafkaInstrumentor().instrument()
print(*before, aiokafka_instrumented())
"""


def test_publishing_imports_the_aiokafka_instrumentation_only_where_it_is_used() -> None:
    answers = subprocess.run(
        [sys.executable, "-c", INSTRUMENTED], capture_output=True, text=True, check=True
    ).stdout.split()

    assert answers == ["False", "False", "True"]


LOAD = """
import sys
import sluice_cli.main as main
main.load(sys.argv[1])
print(" ".join(sorted(sys.modules)))
"""


@pytest.mark.parametrize(
    ("command", "not_needed"),
    [
        ("doctor", ("ib_async", "numpy", "httpx")),
        ("up", ("fastapi", "sluice_risk", "sluice_order_router", "sluice_market_data")),
    ],
)
def test_a_command_loads_what_it_runs_only_to_run(
    command: str, not_needed: tuple[str, ...]
) -> None:
    # what `sluice <command> --help` pays: the IBKR clients, the four services only to run
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD, command], capture_output=True, text=True, check=True
    ).stdout.split()

    assert [name for name in not_needed if name in loaded] == []


def test_the_web_api_doctor_loads_no_socket_client() -> None:
    # `sluice doctor --api webapi` runs doctor_rest: its findings come without ib_async/numpy
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, sluice_order_router.doctor_rest; print(*sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert [name for name in ("ib_async", "numpy") if name in loaded] == []
