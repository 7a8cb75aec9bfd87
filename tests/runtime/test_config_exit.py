"""A service process started with a bad configuration exits 2, one line per bad variable.

The message formats are covered in-process by test_config.py; these start real processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"DEMO_TOKEN": "s3cr3t-token", "SLUICE_KAFKA_BOOTSTRAP": "127.0.0.1:9"}


def start_demo(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "OTEL_"))}
    return subprocess.run(
        [sys.executable, "-m", "tests.runtime.demo_service"],
        check=False,
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"DEMO_TOKEN": None}, "DEMO_TOKEN: required but not set"),
        (
            {"SLUICE_HTTP_PORT": "abc"},
            "SLUICE_HTTP_PORT: expected an integer 1-65535, got 'abc'",
        ),
        (
            {"TRADING_MODE": "demo"},
            "TRADING_MODE: expected 'paper' or 'live', got 'demo'",
        ),
        ({"SLUICE_KAFKA_BOOTSTRAP": None}, "SLUICE_KAFKA_BOOTSTRAP: required for a standalone"),
        ({"TRADING_MODE": "live"}, "IBKR_PORT: 4002 is a paper port but TRADING_MODE=live"),
    ],
    ids=[
        "missing-required",
        "not-an-int",
        "bad-enum",
        "no-kafka",
        "service-guard",
    ],
)
def test_bad_configuration_exits_2_naming_the_variable(
    env: dict[str, str | None], line: str
) -> None:
    merged = {k: v for k, v in (GOOD | env).items() if v is not None}
    result = start_demo(merged)
    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"configuration error: {line}")
    assert "Traceback" not in result.stderr
    assert "listening" not in result.stdout  # stopped before serving anything


@pytest.mark.parametrize(
    "module", ["sluice_risk", "sluice_order_router", "sluice_session_keeper", "sluice_market_data"]
)
def test_each_service_exits_2_naming_a_bad_variable(module: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "OTEL_"))}
    result = subprocess.run(
        [sys.executable, "-m", module],
        check=False,
        cwd=ROOT,
        env={**clean, "SLUICE_HTTP_PORT": "abc", "SLUICE_KAFKA_BOOTSTRAP": "127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "SLUICE_HTTP_PORT: expected an integer 1-65535, got 'abc'" in result.stderr
    assert "Traceback" not in result.stderr
