"""`sluice kafka` in one terminal, `sluice up` on it in another, a signal through both.

Real processes on the broker jars ``make kafka`` installs, as the README's newcomer path runs
them (on free ports and a temporary data directory instead of the defaults).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from sluice_cli import kafka_local
from sluice_cli.main import app
from sluice_cli.up import SERVICES
from sluice_proto import client_order_id
from tests.support.cli import Background, order_events, printed_urls, sluice
from tests.support.kafka_broker import install
from tests.support.net import free_port


@pytest.mark.kafka
def test_sluice_kafka_serves_sluice_up_and_sluice_signal_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    install()
    data = tmp_path / "kafka"
    port, controller = free_port(), free_port()
    bootstrap = f"localhost:{port}"
    kafka_args = ("kafka", "--port", str(port), "--controller-port", str(controller))
    kafka = Background(tmp_path / "kafka.out", *kafka_args, "--data-dir", str(data))
    up: Background | None = None
    strategy = f"momo-{uuid.uuid4().hex[:6]}"
    try:
        assert f"Kafka ready: bootstrap {bootstrap}" in kafka.wait_for("Kafka ready")
        up = Background(
            tmp_path / "up.out",
            "up", "--bootstrap", bootstrap, "--http-port", str(free_port()),
            "--signals-port", str(free_port()), "--sim-port", "0",
        )  # fmt: skip
        urls = printed_urls(up.wait_for("Ctrl-C stops"))
        assert f"four services on Kafka at {bootstrap}" in up.output
        _all_ready([urls[name] for name in SERVICES])
        up.wait_for("ready: the session is up")

        published = sluice(
            "signal", "AAPL", "BUY", "100", "--type", "LMT", "--limit", "187.40",
            "--strategy", strategy, "--signal-id", "s-42", "--bootstrap", bootstrap,
        )  # fmt: skip
        assert published.returncode == 0, published.stderr
        order = urls["signals"].replace("/signals", f"/orders/{client_order_id(strategy, 's-42')}")
        events = order_events(order)  # up's services consumed it from Kafka and answered
        assert {"order_accepted", "order_filled"} & {event["type"] for event in events}, events
        assert up.stop() == 0, up.output
        up = None
        assert kafka.stop() == 0, kafka.output
        assert "sluice kafka: stopped" in kafka.output

        again = Background(tmp_path / "again.out", *kafka_args, "--data-dir", str(data))
        try:
            again.wait_for("Kafka ready")
            tail = Background(
                tmp_path / "tail.out",
                "tail", "sluice.signals.v1", "--from-beginning", "--bootstrap", bootstrap,
            )  # fmt: skip
            try:
                tail.wait_for(strategy, timeout_s=60)  # the signal outlived the restart
            finally:
                tail.stop()
        finally:
            again.stop()
    finally:
        if up is not None:
            up.stop()
        kafka.stop()


def test_without_the_jars_sluice_kafka_says_to_run_make_kafka(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(kafka_local, "STAMP", tmp_path / "missing")
    result = CliRunner().invoke(app, ["kafka", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "sluice kafka: the Kafka broker's jars are not installed: run `make kafka` "
        "(Java 17+, Maven)"
    ]


def _all_ready(urls: list[str]) -> None:
    deadline = time.monotonic() + 120
    pending = set(urls)
    while pending:
        assert time.monotonic() < deadline, f"not ready: {pending}"
        for url in list(pending):
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    pending.discard(url)
            except httpx.TransportError:
                pass
        time.sleep(0.2)  # poll interval
