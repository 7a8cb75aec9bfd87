"""The example strategies of ``examples/`` trade against Sluice on the real broker: each gets
its order filled, and what it published is valid against the contract's JSON Schema."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import jsonschema
import msgspec
import pytest

from sluice_bus import make_bus
from sluice_client import SluiceClient
from sluice_proto import Signal
from sluice_proto.topics import SIGNALS
from tests.support.kafka_stack import ROOT, KafkaStack

pytestmark = pytest.mark.kafka

SIGNAL_SCHEMA = json.loads((ROOT / "proto" / "schemas" / "signal.json").read_text())
KAFKA_LIB = ROOT / "deploy" / "kafka" / "lib"
LOG4J = ROOT / "deploy" / "kafka" / "log4j2.properties"
TIMEOUT_S = 180


async def published_signals(bootstrap: str, strategy_id: str) -> list[bytes]:
    """The raw records the strategy put on ``sluice.signals.v1``."""
    bus = make_bus("examples-test", bootstrap)
    return [
        message.record.value
        async for message in bus.replay([SIGNALS])
        if message.record.key == strategy_id.encode()
    ]


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SLUICE_KAFKA_BOOTSTRAP"}
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )


def assert_filled(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert result.stdout.splitlines()[-1].startswith("order_filled "), result.stdout


async def assert_schema_valid_signal(kafka_stack: KafkaStack, strategy_id: str) -> None:
    [record] = await published_signals(kafka_stack.bootstrap, strategy_id)
    jsonschema.validate(json.loads(record), SIGNAL_SCHEMA)


async def test_the_python_example_strategy_gets_its_order_filled(
    kafka_stack: KafkaStack,
) -> None:
    strategy_id = f"example-py-{uuid.uuid4().hex[:8]}"
    result = run(
        [sys.executable, str(ROOT / "examples" / "python" / "strategy.py"), "AAPL", "1",
         "--bootstrap", kafka_stack.bootstrap, "--strategy", strategy_id]
    )  # fmt: skip
    assert_filled(result)
    await assert_schema_valid_signal(kafka_stack, strategy_id)


async def test_the_java_example_strategy_gets_its_order_filled(kafka_stack: KafkaStack) -> None:
    java = shutil.which(os.environ.get("JAVA", "java"))
    assert java, "java is needed for the Kafka broker already"
    strategy_id = f"example-java-{uuid.uuid4().hex[:8]}"
    result = run(
        [java, f"-Dlog4j2.configurationFile={LOG4J}", "-cp", f"{KAFKA_LIB}/*",
         str(Path("examples") / "java" / "Strategy.java"),
         kafka_stack.bootstrap, "MSFT", "1", strategy_id]
    )  # fmt: skip
    assert_filled(result)
    await assert_schema_valid_signal(kafka_stack, strategy_id)


def readme_signal_json() -> bytes:
    """The JSON signal of the README's "Writing a strategy", as a user would copy it."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Writing a strategy", 1)[1]
    block = section.split("```json", 1)[1].split("```", 1)[0]
    return " ".join(block.split()).encode()


async def test_the_readmes_json_signal_published_as_raw_bytes_is_traded(
    kafka_stack: KafkaStack,
) -> None:
    raw = readme_signal_json()
    signal = msgspec.json.decode(raw, type=Signal)  # as risk decodes it
    producer = make_bus("readme-producer", kafka_stack.bootstrap)
    await producer.start()
    try:
        async with SluiceClient(kafka_stack.bootstrap, signal.strategy_id) as client:
            # The bytes as kcat or any non-Python producer would send them: key = strategy_id.
            await producer.publish_raw(SIGNALS, raw, key=signal.strategy_id.encode())
            seen: list[str] = []
            async with asyncio.timeout(60):
                async for event in client.lifecycle(signal):
                    seen.append(type(event).__struct_config__.tag)
                    if seen[-1] in ("order_accepted", "order_filled", "order_rejected"):
                        break
    finally:
        await producer.stop()
    assert seen[-1] in ("order_accepted", "order_filled"), seen
