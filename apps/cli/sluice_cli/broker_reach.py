"""Which Kafka a command talks to, and the one line it prints when no broker answers there.

Every command that uses Kafka (``signal``, ``tail``, ``up`` on Kafka, the operator commands)
resolves its bootstrap with ``bootstrap_of`` and runs its client inside ``kafka_client``: no
broker means one line on stderr naming the bootstrap and how to start one, and exit 2 (a
usage problem, like bad configuration), never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import NoReturn

import typer
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError

from sluice_cli.kafka_local import accepts

DEFAULT_BOOTSTRAP = "localhost:9092"
"""The one default: ``sluice kafka`` listens here and compose publishes its broker here."""
BOOTSTRAP_ENV = "SLUICE_KAFKA_BOOTSTRAP"
BOOTSTRAP_HELP = f"Kafka bootstrap servers (default: ${BOOTSTRAP_ENV}, else {DEFAULT_BOOTSTRAP})"
EXIT_NO_BROKER = 2
_UNREACHABLE = (KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError, ConnectionError)


def bootstrap_of(option: str | None) -> str:
    """``--bootstrap``, else ``$SLUICE_KAFKA_BOOTSTRAP``, else ``DEFAULT_BOOTSTRAP``."""
    return option or os.environ.get(BOOTSTRAP_ENV) or DEFAULT_BOOTSTRAP


def no_broker(bootstrap: str) -> NoReturn:
    """Say that no broker answers at ``bootstrap`` and how to start one; exit 2."""
    typer.echo(
        f"sluice: no Kafka broker answers at {bootstrap} (--bootstrap or {BOOTSTRAP_ENV}); "
        "start one with `sluice kafka` in another terminal, or `docker compose up -d kafka`",
        err=True,
    )
    raise typer.Exit(EXIT_NO_BROKER)


@contextlib.contextmanager
def kafka_client(bootstrap: str, *, quiet: bool = True) -> Iterator[None]:
    """Check that ``bootstrap`` accepts connections, then run the body; a broker that is
    missing or goes away becomes the one line of ``no_broker``.

    ``quiet`` silences aiokafka's own connection errors (a short-lived client: the line says
    it, and they would otherwise reach stderr through logging's last-resort handler).
    """
    if quiet:
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    if not accepts(bootstrap):
        no_broker(bootstrap)
    try:
        yield
    except _UNREACHABLE:
        no_broker(bootstrap)
