"""`sluice up`: says where everything is, serves it there, takes signals, stops on SIGTERM."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from sluice_cli.up import SERVICES
from sluice_proto import client_order_id
from tests.support.cli import Background, order_events, printed_urls
from tests.support.net import free_port

README_SIGNAL = {
    "type": "signal", "signal_id": "s-42", "strategy_id": "momo", "symbol": "AAPL",
    "side": "BUY", "quantity": "100", "order_type": "LMT", "limit_price": "187.40",
}  # fmt: skip


def test_up_prints_its_ports_serves_them_takes_a_signal_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    base = _four_free_ports()
    up = Background(
        tmp_path / "up.out",
        "up", "--http-port", str(base), "--signals-port", str(free_port()), "--sim-port", "0",
    )  # fmt: skip
    try:
        urls = printed_urls(up.wait_for("Ctrl-C stops"))
        # compose's order: market-data, risk, session-keeper, order-router from the first port
        assert [urls[name] for name in SERVICES] == [
            f"http://127.0.0.1:{base + offset}" for offset in range(4)
        ]
        assert _ready_services(urls) == dict(zip(SERVICES, SERVICES, strict=True))
        assert int(urls["TWS simulator"].rpartition(":")[2]) > 0
        up.wait_for("ready: the session is up")

        posted = httpx.post(urls["signals"], content=json.dumps(README_SIGNAL), timeout=10)
        assert posted.status_code == 202, posted.text
        order_id = client_order_id("momo", "s-42")
        assert posted.json()["client_order_id"] == order_id
        events = order_events(urls["signals"].replace("/signals", f"/orders/{order_id}"))
        assert {event["client_order_id"] for event in events} == {order_id}
        # the README's example as written: traded (working or filled), not NO_QUOTE
        assert {"order_accepted", "order_filled"} & {event["type"] for event in events}, events

        invalid = httpx.post(urls["signals"], content=b'{"type": "signal"}', timeout=10)
        assert invalid.status_code == 422
    finally:
        code = up.stop()
    output = up.output
    assert code == 0, output
    assert "four services on the in-memory bus" in output
    # not a terminal: the log lines are JSON, and the one line per order event is among them
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(order_id in record["message"] for record in logged), output
    assert "Traceback" not in output


def _four_free_ports() -> int:
    while True:
        base = free_port()
        if all(_free(base + offset) for offset in range(4)):
            return base


def _free(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.2)
    except httpx.TransportError:
        return True
    return False


def _ready_services(urls: dict[str, str]) -> dict[str, str]:
    """Each service's name as its own /readyz reports it, once all four are ready."""
    deadline = time.monotonic() + 90
    ready: dict[str, str] = {}
    while len(ready) < len(SERVICES):
        assert time.monotonic() < deadline, f"ready so far: {ready}"
        for name in SERVICES:
            try:
                response = httpx.get(f"{urls[name]}/readyz", timeout=1)
            except httpx.TransportError:
                continue
            if response.status_code == 200:
                ready[name] = response.json().get("service", "")
        time.sleep(0.2)  # poll interval
    return ready
