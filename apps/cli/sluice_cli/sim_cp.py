"""``sluice sim cp``: run the Client Portal Web API simulator on its own."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated

import typer

from sluice_sim.cp import CpSimConfig, CpSimulator, TlsMaterial, generate_self_signed
from sluice_sim.venue import VenueConfig


def self_signed(
    host: str, hostname: list[str] | None, cert_dir: Path | None
) -> tuple[tuple[str, ...], TlsMaterial]:
    """The certificate names (localhost, the listen address, the extra names) and a fresh
    certificate for them."""
    names = ("localhost", "127.0.0.1", host, *(hostname or []))
    if cert_dir is not None:
        cert_dir.mkdir(parents=True, exist_ok=True)
    return names, generate_self_signed(names, cert_dir)


def cp(  # noqa: PLR0917 (one parameter per CLI option)
    port: Annotated[int, typer.Option(help="HTTPS port")] = 5000,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of quotes and ids")] = 1,
    allow: Annotated[
        list[str] | None, typer.Option(help="Registered caller IP (repeat); default: anyone")
    ] = None,
    hostname: Annotated[
        list[str] | None, typer.Option(help="Extra certificate name (repeat)")
    ] = None,
    cert_dir: Annotated[
        Path | None, typer.Option(help="Write cert+key here (default: a temp dir)")
    ] = None,
    penalty_s: Annotated[float, typer.Option(help="Penalty box after a 429, seconds")] = 600.0,
    tick_s: Annotated[float, typer.Option(help="Quote step interval, seconds")] = 1.0,
) -> None:
    """Serve https://HOST:PORT/v1/api with a fresh self-signed certificate (path printed)."""
    names, tls = self_signed(host, hostname, cert_dir)
    config = CpSimConfig(
        venue=VenueConfig(seed=seed),
        allowlist=frozenset(allow) if allow else None,
        penalty_s=penalty_s,
        hostnames=names,
        tick_interval_s=tick_s,
    )
    sim = CpSimulator(config, host=host, port=port, tls=tls)
    typer.echo(f"Client Portal simulator on https://{host}:{port}/v1/api")
    typer.echo(f"certificate to pin (IBKR_CP_CA_FILE): {tls.cert_path}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(sim.serve_forever())
