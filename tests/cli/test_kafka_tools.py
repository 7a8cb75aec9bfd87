"""`sluice signal` and `sluice tail` against the real broker, as a user would run them."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from sluice_proto import client_order_id
from tests.support.cli import ENV, SLUICE, sluice


@pytest.mark.kafka
def test_a_published_signal_is_what_tail_prints(kafka_bootstrap: str, tmp_path: Path) -> None:
    strategy, signal_id = f"cli-{uuid.uuid4().hex[:8]}", "sig-1"
    published = sluice(
        "signal", "AAPL", "BUY", "5", "--type", "LMT", "--limit", "187.25",
        "--strategy", strategy, "--signal-id", signal_id, "--bootstrap", kafka_bootstrap,
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    assert client_order_id(strategy, signal_id) in published.stdout

    out = tmp_path / "tail.out"
    with out.open("w") as sink:
        tail = subprocess.Popen(
            [*SLUICE, "tail", "sluice.signals.v1", "--from-beginning",
             "--bootstrap", kafka_bootstrap],
            env=ENV, stdout=sink, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while strategy not in out.read_text():
                assert tail.poll() is None, out.read_text()
                assert time.monotonic() < deadline, out.read_text()
                time.sleep(0.1)
        finally:
            tail.terminate()
            tail.wait(timeout=30)
    line = next(row for row in out.read_text().splitlines() if strategy in row)
    assert '"limit_price":"187.25"' in line
    assert "signal" in line


def test_the_default_bootstrap_is_the_one_sluice_kafka_serves() -> None:
    result = sluice("signal", "--help")
    assert result.returncode == 0
    assert "localhost:9092" in result.stdout


def test_an_invalid_signal_is_refused_before_anything_is_published() -> None:
    result = sluice("signal", "AAPL", "HOLD", "5", "--bootstrap", "127.0.0.1:9")
    assert result.returncode == 2
    assert (
        "Expected `'BUY' | 'SELL'`" in result.stderr.replace("\n", " ") or "side" in result.stderr
    )

    result = sluice("signal", "AAPL", "BUY", "0", "--bootstrap", "127.0.0.1:9")
    assert result.returncode == 2
    assert "quantity must be a finite number > 0" in result.stderr


def test_tail_refuses_a_topic_that_is_not_ours() -> None:
    result = sluice("tail", "sluice.nope.v1", "--bootstrap", "127.0.0.1:9")
    assert result.returncode == 2
    assert "unknown topic" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("signal", "AAPL", "BUY", "1"),
        ("tail", "sluice.signals.v1"),
        ("kill", "--account", "DU123", "--wait", "0"),
        ("status",),
    ],
    ids=["signal", "tail", "kill", "status"],
)
def test_a_bad_bus_setting_is_one_line_and_exit_2_whether_or_not_a_broker_answers(
    args: tuple[str, ...],
) -> None:
    # settings are read before the broker is tried: the no-broker line does not hide them
    result = subprocess.run(
        [*SLUICE, *args, "--bootstrap", "127.0.0.1:9"],
        env={**ENV, "SLUICE_PARTITIONS": "abc"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "configuration error: SLUICE_PARTITIONS: expected an integer 1-1000, got 'abc'"
    ]
