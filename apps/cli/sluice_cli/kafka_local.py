"""A single-node Apache Kafka broker (KRaft combined mode) from the jars ``make kafka`` installs.

The one place that knows how to launch the shipped broker: ``sluice kafka`` runs it in the
foreground, and the test and bench fixture (``tests/support/kafka_broker.py``) runs it on free
ports in a temporary directory. The jars come from Maven Central via ``deploy/kafka/install.sh``
into ``deploy/kafka/lib``; readiness is a metadata request that lists a broker.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

KAFKA_DIR = Path(__file__).resolve().parents[3] / "deploy" / "kafka"
STAMP = KAFKA_DIR / "lib" / ".installed-from"
"""Written by install.sh once ``lib/`` holds every jar of the pom."""
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0

# Tuned for a small box: one node, replication 1, no rebalance delay, no auto-create (every
# service creates the topics it needs, with the partitions it is configured for).
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
    """The broker could not be formatted or started; the message says where to look."""


def jars_installed() -> bool:
    """True once ``make kafka`` (deploy/kafka/install.sh) has filled ``deploy/kafka/lib``."""
    return STAMP.is_file()


def java(*args: str) -> list[str]:
    """The command line running a class of the broker's jars (``$JAVA`` or ``java``)."""
    return [
        os.environ.get("JAVA", "java"),
        *_JVM_OPTS,
        f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
        "-cp",
        str(KAFKA_DIR / "lib" / "*"),
        *args,
    ]


def write_config(
    workdir: Path, port: int, controller_port: int, *, advertised_host: str = "127.0.0.1"
) -> Path:
    """``workdir/server.properties``: listeners on loopback, data in ``workdir/data``."""
    settings = {
        **_SETTINGS,
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{advertised_host}:{port}",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "log.dirs": str(workdir / "data"),
    }
    path = workdir / "server.properties"
    path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    return path


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` of a log file ("" when unreadable)."""
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def _cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the parent dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def launch(config: Path, log: Path, *, own_session: bool = False) -> subprocess.Popen[bytes]:
    """Format the storage directory unless it already is, then start the broker.

    Its output goes to ``log``; it gets SIGTERM when this process dies. ``own_session`` keeps
    a terminal's Ctrl-C from reaching it, so that the caller stops it in its own order.
    """
    data = config.parent / "data"
    with log.open("ab") as out:
        if not (data / "meta.properties").is_file():  # a kept data directory is reused as is
            cluster_id = f"--cluster-id={_cluster_id()}"  # '=': an id may start with '-'
            formatted = subprocess.run(
                java("kafka.tools.StorageTool", "format", cluster_id, "-c", str(config)),
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
            if formatted.returncode != 0:
                raise BrokerError(f"kafka storage format failed; log kept at {log}:\n{tail(log)}")
        return subprocess.Popen(
            java("kafka.Kafka", str(config)),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=own_session,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only async-signal-safe prctl
        )


def accepts(bootstrap: str, timeout_s: float = 1.0) -> bool:
    """True when some ``host:port`` of a bootstrap list accepts a TCP connection."""
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
        except (OSError, ValueError):
            continue
        return True
    return False


async def wait_ready(bootstrap: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll the broker with a metadata request until it answers, or fail naming the log."""
    from aiokafka.admin import AIOKafkaAdminClient  # noqa: PLC0415 - only once it listens

    deadline = time.monotonic() + START_TIMEOUT_S
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerError(
                f"Kafka exited with {process.returncode}; log kept at {log}:\n{tail(log)}"
            )
        if not accepts(bootstrap):
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
        f"{tail(log)}"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (Kafka's controlled shutdown), SIGKILL after ``STOP_TIMEOUT_S``."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
