"""Options the Client Portal simulator's commands share (``sluice sim cp`` and ``sim webapi``)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from pathlib import Path
from typing import Annotated

import typer

from sluice_sim.cp import CpSimConfig, CpSimulator, generate_self_signed
from sluice_sim.venue import VenueConfig

Port = Annotated[int, typer.Option(help="HTTPS port")]
Host = Annotated[str, typer.Option(help="Address to listen on")]
Seed = Annotated[int, typer.Option(help="Seed of quotes and ids")]
Allow = Annotated[
    list[str] | None, typer.Option(help="Registered caller IP (repeat); default: anyone")
]
Hostname = Annotated[list[str] | None, typer.Option(help="Extra certificate name (repeat)")]
CertDir = Annotated[Path | None, typer.Option(help="Write cert+key here (default: a temp dir)")]
TickS = Annotated[float, typer.Option(help="Quote step interval, seconds")]


def simulator(  # noqa: PLR0917 (one parameter per shared CLI option)
    config: CpSimConfig,
    port: int,
    host: str,
    seed: int,
    allow: list[str] | None,
    hostname: list[str] | None,
    cert_dir: Path | None,
    tick_s: float,
) -> CpSimulator:
    """A simulator on ``host:port`` behaving as ``config`` says, with the shared options in
    it and a fresh self-signed certificate for localhost, ``host`` and the extra names."""
    names = ("localhost", "127.0.0.1", host, *(hostname or []))
    if cert_dir is not None:
        cert_dir.mkdir(parents=True, exist_ok=True)
    shared = dataclasses.replace(
        config,
        venue=VenueConfig(seed=seed),
        allowlist=frozenset(allow) if allow else None,
        hostnames=names,
        tick_interval_s=tick_s,
    )
    return CpSimulator(shared, host=host, port=port, tls=generate_self_signed(names, cert_dir))


def serve(sim: CpSimulator, host: str, title: str, *notes: str) -> None:
    """Run ``sim`` until interrupted; once it listens, print where it is, its certificate, the
    ``notes`` and its control API.

    Its log (every fault injected, the penalty box with its end) goes to stderr."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    async def run() -> None:
        await sim.start()
        typer.echo(f"{title} on {sim.base_url(host)}")
        typer.echo(f"certificate to pin (IBKR_CP_CA_FILE): {sim.cert_path}")
        for note in notes:
            typer.echo(note)
        typer.echo(f"control API on https://{host}:{sim.port}/_sim (e.g. POST /_sim/release)")
        await sim.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
