"""``sluice doctor``: check the IB Gateway / TWS API connection and print what to fix."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Literal

import typer

from sluice_order_router.doctor import Finding, Target, diagnose


def doctor(
    *,
    host: Annotated[str, typer.Option(envvar="IBKR_HOST", help="gateway host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="IBKR_PORT", help="API socket port")] = 4002,
    client_id: Annotated[
        int, typer.Option("--client-id", help="client id for the check (not the router's)")
    ] = 99,
    mode: Annotated[
        Literal["paper", "live"] | None, typer.Option(envvar="TRADING_MODE", help="paper|live")
    ] = None,
    account: Annotated[str | None, typer.Option(envvar="IBKR_ACCOUNT")] = None,
    bind: Annotated[
        str | None, typer.Option(envvar="IBKR_BIND_ADDRESS", help="source address to send from")
    ] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for each answer")] = 5.0,
) -> None:
    """Connect to IB Gateway / TWS, check accounts and paper/live, and say what to fix."""
    logging.getLogger("ib_async").setLevel(logging.CRITICAL)  # the findings say it better
    target = Target(host, port, client_id, mode, account, bind, timeout)
    findings = asyncio.run(diagnose(target))
    for finding in findings:
        _print(finding)
    if not all(f.ok for f in findings):
        raise typer.Exit(1)


def _print(finding: Finding) -> None:
    mark = typer.style("ok  ", fg="green") if finding.ok else typer.style("FAIL", fg="red")
    typer.echo(f"{mark} {finding.check:<17} {finding.detail}")
    if finding.fix:
        typer.echo(f"     {'':<17} fix: {finding.fix}")
