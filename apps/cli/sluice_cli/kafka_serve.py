"""``sluice kafka``: the shipped Kafka broker in the foreground, for local use without Docker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from sluice_cli import kafka_local
from sluice_cli.broker_reach import DEFAULT_BOOTSTRAP

DEFAULT_HOST, _, _port = DEFAULT_BOOTSTRAP.rpartition(":")
DEFAULT_PORT = int(_port)


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/sluice/kafka`` (``~/.local/share/sluice/kafka``): kept between runs."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "sluice" / "kafka"


def kafka(
    *,
    port: Annotated[int, typer.Option(help="client port, on loopback")] = DEFAULT_PORT,
    controller_port: Annotated[int, typer.Option(help="KRaft controller port")] = 9093,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="topics, offsets and broker.log (default: ~/.local/share/sluice/kafka)"),
    ] = None,
) -> None:
    """Run a single-node Kafka broker (KRaft) until Ctrl-C; its data is kept in --data-dir."""
    workdir = (data_dir or default_data_dir()).expanduser().resolve()
    bootstrap = f"{DEFAULT_HOST}:{port}"
    if not kafka_local.jars_installed():
        _refuse("the Kafka broker's jars are not installed: run `make kafka` (Java 17+, Maven)")
    for taken in (port, controller_port):
        if kafka_local.accepts(f"127.0.0.1:{taken}", timeout_s=0.5):
            _refuse(f"port {taken} is in use (another Kafka?); choose --port and --controller-port")
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "broker.log"
    config = kafka_local.write_config(workdir, port, controller_port, advertised_host=DEFAULT_HOST)
    typer.echo(f"sluice kafka: starting; data in {workdir / 'data'}, log in {log}")
    try:
        process = kafka_local.launch(config, log, own_session=True)
    except FileNotFoundError:
        _refuse("`java` is not on PATH (or $JAVA): the broker needs Java 17+")
    except (kafka_local.BrokerError, OSError) as exc:
        _refuse(f"cannot start Kafka: {exc}")
    code = asyncio.run(_serve(bootstrap, process, log))
    raise typer.Exit(code)


async def _serve(bootstrap: str, process: subprocess.Popen[bytes], log: Path) -> int:
    """Wait for readiness, then for a signal (exit 0) or the broker's own exit (1)."""
    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main.cancel)
    try:
        await kafka_local.wait_ready(bootstrap, process, log)
        typer.echo(
            f"Kafka ready: bootstrap {bootstrap}; Ctrl-C stops\n"
            f"in another terminal: sluice up --bootstrap {bootstrap}"
        )
        await asyncio.to_thread(process.wait)
        typer.echo(f"sluice kafka: the broker exited ({process.returncode}); see {log}", err=True)
        return 1
    except asyncio.CancelledError:  # SIGINT/SIGTERM: a clean stop
        return 0
    except kafka_local.BrokerError as exc:
        typer.echo(f"sluice kafka: {exc}", err=True)
        return 1
    finally:
        await asyncio.to_thread(kafka_local.stop, process)
        typer.echo("sluice kafka: stopped")


def _refuse(reason: str) -> NoReturn:
    typer.echo(f"sluice kafka: {reason}", err=True)
    raise typer.Exit(2)
