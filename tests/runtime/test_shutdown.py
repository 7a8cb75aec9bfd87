"""A running service stops in order on SIGTERM and exits 0 (real process, real uvicorn)."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest

from tests.support.demo_process import demo_service, wait_ready
from tests.support.net import free_port


class Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that keeps what it is sent."""

    received: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_sigterm_stops_component_then_bus_and_exits_0(collector: str) -> None:
    port = free_port()
    with demo_service(port, DEMO_BUS="memory", OTEL_EXPORTER_OTLP_ENDPOINT=collector) as process:
        ready = wait_ready(port, process)
        httpx.get(f"http://127.0.0.1:{port}/ping", timeout=5).raise_for_status()
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)

    assert ready.json() == {"ready": True, "reason": "ready", "service": "demo"}
    assert process.returncode == 0, stderr
    lines = [json.loads(line) for line in stdout.splitlines()]
    messages = [line["message"] for line in lines]
    assert {line["service"] for line in lines} == {"demo"}
    order = [
        "demo component started",
        "received SIGTERM, shutting down",
        # the component stops while the bus is still up; the bus stops after it
        "demo component stopped; bus connected=True",
        "demo stopped (exit 0)",
    ]
    assert [m for m in messages if m in order] == order

    # spans buffered by the batch exporter are flushed to OTLP/HTTP at shutdown
    paths = {path for path, _ in Collector.received}
    bodies = b"".join(body for _, body in Collector.received)
    assert paths == {"/v1/traces"}
    assert b"GET /ping" in bodies and b"demo" in bodies
