"""On the real broker: a service started before its broker is live but not ready, waits, and is
ready once the broker is up; it drops readiness while the broker is gone, without exiting."""

from __future__ import annotations

import json
import signal

import httpx
import pytest

from tests.support.demo_process import demo_service
from tests.support.kafka_broker import running_broker
from tests.support.net import free_port
from tests.support.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.integration]


async def readyz(port: int) -> tuple[int, str]:
    async with httpx.AsyncClient() as http:
        try:
            response = await http.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
        except httpx.TransportError as exc:
            return 0, type(exc).__name__
    return response.status_code, response.json()["reason"]


async def test_a_service_waits_for_its_broker_and_follows_it() -> None:
    kafka_port, port = free_port(), free_port()
    env = {"SLUICE_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka_port}"}
    with demo_service(port, **env) as process:

        async def waiting() -> bool:
            status, reason = await readyz(port)
            return status == 503 and reason.startswith("starting, waiting for the bus: ")

        await eventually(waiting, within=60, what="live, waiting for the bus")
        async with running_broker(port=kafka_port):

            async def ready() -> bool:
                return (await readyz(port))[0] == 200

            await eventually(ready, within=120, what="ready once the broker is up")

        async def unready() -> bool:
            status, reason = await readyz(port)
            return status == 503 and reason.startswith("bus not connected: ")

        await eventually(unready, within=30, what="not ready once the broker is gone")
        assert process.poll() is None  # waiting, not exited
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=60)
    lines = [json.loads(line) for line in stdout.splitlines()]
    messages = [line["message"] for line in lines]
    attempts = [m for m in messages if "the bus did not start" in m]
    assert attempts and "attempt 1: KafkaConnectionError" in attempts[0]
    assert any(m.startswith("the bus reachable again after ") for m in messages)
    assert not any("exc_info" in line for line in lines)  # one line each, no traceback
    # the outages' own noise is held back: only the first failed start's lines get through
    assert sum(line["logger"].startswith("aiokafka") for line in lines) < 10
