"""A real single-node Apache Kafka broker (KRaft combined mode) for tests and benchmarks.

The jars come from Maven Central via ``deploy/kafka/install.sh``; the broker runs from a
temporary directory on free loopback ports, readiness is polled with a metadata request, and
the broker log is kept (and its path reported) whenever something goes wrong.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from tests.support.net import free_port

KAFKA_DIR = Path(__file__).resolve().parents[2] / "deploy" / "kafka"
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0

# Tuned for a small shared box: one node, replication 1, no rebalance delay, no auto-create.
_SETTINGS = {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.listener.names": "CONTROLLER",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name": "PLAINTEXT",
    "num.partitions": "3",
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "3",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "3",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "group.initial.rebalance.delay.ms": "0",
    "auto.create.topics.enable": "false",
    "num.network.threads": "2",
    "num.io.threads": "2",
    "log.flush.interval.messages": "9223372036854775807",
}
_PR_SET_PDEATHSIG = 1
_JVM_OPTS = ("-Xms128m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true")


class BrokerError(RuntimeError):
    """The broker could not be installed, formatted or started; the message says where to look."""


@dataclass(frozen=True, slots=True)
class Broker:
    """A running broker: where to connect and where its log is."""

    bootstrap: str
    log_path: Path


def install() -> None:
    """Fetch the broker jars if ``deploy/kafka/lib`` is missing or stale (idempotent)."""
    result = subprocess.run(
        [str(KAFKA_DIR / "install.sh")], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BrokerError(f"deploy/kafka/install.sh failed:\n{result.stdout}{result.stderr}")


def _cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _java(*args: str) -> list[str]:
    return [
        os.environ.get("JAVA", "java"),
        *_JVM_OPTS,
        f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
        "-cp",
        str(KAFKA_DIR / "lib" / "*"),
        *args,
    ]


def _write_config(workdir: Path, port: int, controller_port: int) -> Path:
    settings = {
        **_SETTINGS,
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "log.dirs": str(workdir / "data"),
    }
    path = workdir / "server.properties"
    path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    return path


def _accepts(bootstrap: str) -> bool:
    host, port = bootstrap.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def _tail(path: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


async def wait_ready(bootstrap: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll the broker with a metadata request until it answers, or fail naming the log."""
    deadline = time.monotonic() + START_TIMEOUT_S
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerError(
                f"Kafka exited with {process.returncode}; log kept at {log}:\n{_tail(log)}"
            )
        if not _accepts(bootstrap):
            await asyncio.sleep(0.1)  # poll interval while the JVM starts
            continue
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            if cluster["brokers"]:
                return
        except Exception as exc:  # not up yet: connection refused, metadata timeout, ...
            last_error = exc
        finally:
            await admin.close()
        await asyncio.sleep(0.25)  # poll interval between metadata requests
    raise BrokerError(
        f"Kafka not ready after {START_TIMEOUT_S:.0f}s ({last_error!r}); log kept at {log}:\n"
        f"{_tail(log)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _launch(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """Format the storage directory, then start the broker with its output in ``log``."""
    with log.open("ab") as out:
        cluster_id = f"--cluster-id={_cluster_id()}"  # '=': an id may start with '-'
        formatted = subprocess.run(
            _java("kafka.tools.StorageTool", "format", cluster_id, "-c", str(config)),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
        if formatted.returncode != 0:
            raise BrokerError(f"kafka storage format failed; log kept at {log}:\n{_tail(log)}")
        return subprocess.Popen(
            _java("kafka.Kafka", str(config)),
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only async-signal-safe prctl
        )


@contextlib.asynccontextmanager
async def running_broker() -> AsyncIterator[Broker]:
    """Install (if needed), format and start a broker; stop it and clean up on exit.

    The temporary directory (data and ``broker.log``) is removed only after a clean run.
    """
    install()
    workdir = Path(tempfile.mkdtemp(prefix="sluice-kafka-"))
    log = workdir / "broker.log"
    port = free_port()
    process = _launch(_write_config(workdir, port, free_port()), log)
    bootstrap = f"127.0.0.1:{port}"
    clean = False
    try:
        await wait_ready(bootstrap, process, log)
        print(f"kafka broker ready at {bootstrap} (log: {log})", file=sys.stderr)
        yield Broker(bootstrap, log)
        clean = True
    finally:
        _stop(process)
        if clean and process.returncode in (0, -signal.SIGTERM, 143):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kafka broker log kept at {log}", file=sys.stderr)
