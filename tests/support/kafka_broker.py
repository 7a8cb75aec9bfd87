"""A real single-node Apache Kafka broker (KRaft combined mode) for tests and benchmarks.

It is launched exactly as ``sluice kafka`` launches it (``sluice_cli.kafka_local``), but from a
temporary directory on free loopback ports; the broker log is kept (and its path reported)
whenever something goes wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sluice_cli import kafka_local
from sluice_cli.kafka_local import BrokerError
from tests.support.net import free_port

__all__ = ["Broker", "BrokerError", "install", "running_broker"]


@dataclass(slots=True)
class Broker:
    """A running broker: where to connect, where its log is, and its process."""

    bootstrap: str
    log_path: Path
    config: Path
    process: subprocess.Popen[bytes]

    async def restart(self, down_s: float = 0.0) -> None:
        """Stop the broker (a controlled shutdown), stay down ``down_s`` seconds, and start it
        again on the same ports and data; return once it answers."""
        await asyncio.to_thread(kafka_local.stop, self.process)
        await asyncio.sleep(down_s)
        self.process = kafka_local.launch(self.config, self.log_path)
        await kafka_local.wait_ready(self.bootstrap, self.process, self.log_path)


def install() -> None:
    """Fetch the broker jars if ``deploy/kafka/lib`` is missing or stale (idempotent)."""
    result = subprocess.run(
        [str(kafka_local.KAFKA_DIR / "install.sh")], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BrokerError(f"deploy/kafka/install.sh failed:\n{result.stdout}{result.stderr}")


@contextlib.asynccontextmanager
async def running_broker(port: int | None = None) -> AsyncIterator[Broker]:
    """Install (if needed), format and start a broker (on ``port``, else a free one); stop it
    and clean up on exit.

    The temporary directory (data and ``broker.log``) is removed only after a clean run.
    """
    install()
    workdir = Path(tempfile.mkdtemp(prefix="sluice-kafka-"))
    log = workdir / "broker.log"
    port = port or free_port()
    config = kafka_local.write_config(workdir, port, free_port())
    broker = Broker(f"127.0.0.1:{port}", log, config, kafka_local.launch(config, log))
    clean = False
    try:
        await kafka_local.wait_ready(broker.bootstrap, broker.process, log)
        print(f"kafka broker ready at {broker.bootstrap} (log: {log})", file=sys.stderr)
        yield broker
        clean = True
    finally:
        kafka_local.stop(broker.process)
        if clean and broker.process.returncode in (0, -signal.SIGTERM, 143):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kafka broker log kept at {log}", file=sys.stderr)
