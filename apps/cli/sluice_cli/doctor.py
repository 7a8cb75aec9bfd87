"""``sluice doctor``: check the connection to IBKR (IB Gateway / TWS socket, Client Portal
Gateway or the hosted Web API) and print what to fix."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from pydantic import ValidationError

if TYPE_CHECKING:
    from sluice_order_router.adapters.rest.settings import RestSettings
    from sluice_order_router.doctor_finding import Finding
    from sluice_order_router.doctor_rest import RestApi

Api = Literal["socket", "rest", "cpgateway", "webapi"]
_REST_ENV = (
    "QUOTAGUARDSHIELD_URL", "SLUICE_EGRESS_PROXY_URL", "IBKR_CP_INSECURE", "IBKR_OAUTH_REALM",
    "IBKR_CP_TIMEOUT_S",
)  # fmt: skip
"""REST settings doctor has no option for: read from the environment as the router reads them."""


def doctor(
    *,
    api: Annotated[
        Api, typer.Option(envvar="IBKR_API", help="socket | rest (= cpgateway) | webapi")
    ] = "socket",
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
    base_url: Annotated[
        str | None,
        typer.Option(envvar="IBKR_CP_BASE_URL", help="rest/webapi: https://host:port/v1/api"),
    ] = None,
    ca_file: Annotated[
        Path | None, typer.Option(envvar="IBKR_CP_CA_FILE", help="rest/webapi: CA to pin")
    ] = None,
    oauth_dir: Annotated[
        Path | None, typer.Option(envvar="IBKR_OAUTH_DIR", help="webapi: OAuth credential files")
    ] = None,
    expected_ip: Annotated[
        str | None,
        typer.Option(envvar="SLUICE_EXPECTED_EGRESS_IP", help="rest/webapi: IP IBKR should see"),
    ] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for each answer")] = 5.0,
) -> None:
    """Check the connection to IBKR, its accounts, session and egress, and say what to fix."""
    logging.getLogger("ib_async").setLevel(logging.CRITICAL)  # the findings say it better
    # The diagnosis loads ib_async (and numpy) or the REST client when it runs, not for
    # ``sluice doctor --help`` (bench cli_start).
    if api == "socket":
        from sluice_order_router.doctor import Target, diagnose  # noqa: PLC0415

        target = Target(host, port, client_id, mode, account, bind, timeout)
        findings = asyncio.run(diagnose(target))
    else:
        options = {
            "IBKR_CP_BASE_URL": base_url,
            "IBKR_CP_CA_FILE": ca_file,
            "IBKR_OAUTH_DIR": oauth_dir,
            "SLUICE_EXPECTED_EGRESS_IP": expected_ip,
            "IBKR_CP_TIMEOUT_S": timeout,
        }
        from sluice_order_router.doctor_rest import RestTarget, diagnose_rest  # noqa: PLC0415

        rest_api: RestApi = "webapi" if api == "webapi" else "cpgateway"
        settings = _rest_settings(options)
        findings = asyncio.run(diagnose_rest(RestTarget(rest_api, settings, account)))
    for finding in findings:
        _print(finding)
    if not all(f.ok for f in findings):
        raise typer.Exit(1)


def _rest_settings(options: dict[str, Any]) -> RestSettings:
    from sluice_order_router.adapters.rest.settings import RestSettings  # noqa: PLC0415

    values = {name: os.environ[name] for name in _REST_ENV if name in os.environ}
    values |= {name: value for name, value in options.items() if value is not None}
    try:
        return RestSettings.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():  # the variable and the reason; never the value
            typer.echo(f"configuration error: {error['loc'][0]}: {error['msg']}", err=True)
        raise typer.Exit(2) from None


def _print(finding: Finding) -> None:
    mark = typer.style("ok  ", fg="green") if finding.ok else typer.style("FAIL", fg="red")
    typer.echo(f"{mark} {finding.check:<17} {finding.detail}")
    if finding.fix:
        typer.echo(f"     {'':<17} fix: {finding.fix}")
