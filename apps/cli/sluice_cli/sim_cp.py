"""``sluice sim cp``: run the Client Portal Web API simulator on its own."""

from __future__ import annotations

from typing import Annotated

import typer

from sluice_cli.sim_options import (
    Allow,
    CertDir,
    Host,
    Hostname,
    Port,
    Seed,
    TickS,
    serve,
    simulator,
)
from sluice_sim.cp import CpSimConfig


def cp(  # noqa: PLR0917 (one parameter per CLI option)
    port: Port = 5000,
    host: Host = "127.0.0.1",
    seed: Seed = 1,
    allow: Allow = None,
    hostname: Hostname = None,
    cert_dir: CertDir = None,
    penalty_s: Annotated[float, typer.Option(help="Penalty box after a 429, seconds")] = 600.0,
    tick_s: TickS = 1.0,
) -> None:
    """Serve https://HOST:PORT/v1/api with a fresh self-signed certificate (path printed)."""
    config = CpSimConfig(penalty_s=penalty_s)
    sim = simulator(config, port, host, seed, allow, hostname, cert_dir, tick_s)
    serve(sim, host, "Client Portal simulator")
