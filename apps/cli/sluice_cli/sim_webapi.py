"""``sluice sim webapi``: the Client Portal simulator as IBKR's hosted Web API (OAuth 1.0a)."""

from __future__ import annotations

import tempfile
from pathlib import Path
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
from sluice_sim.cp import CpSimConfig, OAuthSimConfig


def webapi(  # noqa: PLR0917 (one parameter per CLI option)
    port: Port = 5000,
    host: Host = "127.0.0.1",
    seed: Seed = 1,
    allow: Allow = None,
    hostname: Hostname = None,
    cert_dir: CertDir = None,
    write_credentials: Annotated[
        Path | None,
        typer.Option(help="Write the client's OAuth files here (default: a temp dir)"),
    ] = None,
    lst_lifetime_s: Annotated[
        float, typer.Option(help="Live session token lifetime, seconds")
    ] = 86_400.0,
    timestamp_window_s: Annotated[
        float, typer.Option(help="Accepted oauth_timestamp skew, seconds")
    ] = 300.0,
    consumer_key: Annotated[str, typer.Option(help="Consumer key (default: random)")] = "",
    tick_s: TickS = 1.0,
) -> None:
    """Serve https://HOST:PORT/v1/api with OAuth 1.0a and fresh keys (credential files written)."""
    oauth = OAuthSimConfig(lst_lifetime_s, timestamp_window_s, consumer_key)
    config = CpSimConfig(mode="webapi", oauth=oauth)
    sim = simulator(config, port, host, seed, allow, hostname, cert_dir, tick_s)
    target = write_credentials or Path(tempfile.mkdtemp(prefix="sluice-oauth-"))
    credentials = sim.control.write_credentials(target)
    serve(
        sim,
        host,
        "IBKR Web API simulator (OAuth 1.0a)",
        f"OAuth credential files (IBKR_OAUTH_DIR): {credentials}",
    )
