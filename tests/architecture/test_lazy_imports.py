"""What a restarting order-router loads before it is ready: none of the heavy modules it does
not use (docs/e2e.md, start-up). Checked in a fresh interpreter: ``sys.modules`` after the
imports ``python -m sluice_order_router`` does and its socket gateway needs."""

from __future__ import annotations

import subprocess
import sys

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
