"""``sluice positions``, ``pnl``, ``orders`` and ``status``: Sluice's state, read from Kafka."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from sluice_cli import operator_state as views
from sluice_cli.broker_reach import BOOTSTRAP_HELP, bootstrap_of
from sluice_cli.on_kafka import (
    JSON_HELP,
    read_state,
    run_on_kafka,
    show,
)
from sluice_proto.topics import (
    BROKER_TRUTH,
    ORDERS_EVENTS,
    RISK_STATE,
    SESSION_REPORTS,
    SESSION_STATE,
)

Account = Annotated[str | None, typer.Option(help="only this account")]
Bootstrap = Annotated[str | None, typer.Option(help=BOOTSTRAP_HELP)]
Json = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


def positions(account: Account = None, bootstrap: Bootstrap = None, as_json: Json = False) -> None:
    """Positions per account and instrument, marked as risk last wrote them."""
    server = bootstrap_of(bootstrap)
    state = run_on_kafka(read_state(server, [RISK_STATE]), server)
    show(
        views.position_rows(state, account),
        title="Positions",
        as_json=as_json,
        empty="no positions",
        columns=["account", "symbol", "quantity", "avg_cost", "realised_pnl", "unrealised_pnl"],
    )


PNL_COLUMNS = ["account", "realised", "unrealised", "total", "day_realised", "killed"]
BROKER_COLUMNS = ["account", "realised", "unrealised", "broker_daily", "broker_unrealised",
                  "broker_realised"]  # fmt: skip
"""Sluice's figures beside the broker's, in 80 columns."""


def pnl(
    account: Account = None,
    broker: Annotated[
        bool, typer.Option("--broker", help="the broker's own PnL beside Sluice's")
    ] = False,
    bootstrap: Bootstrap = None,
    as_json: Json = False,
) -> None:
    """Realised, unrealised and total PnL per account, and today's realised PnL; with
    ``--broker``, the broker's daily, unrealised and realised PnL beside Sluice's."""
    server = bootstrap_of(bootstrap)
    state = run_on_kafka(read_state(server, [RISK_STATE, BROKER_TRUTH]), server)
    show(
        views.pnl_rows(state, account),
        title="PnL",
        as_json=as_json,
        empty="no PnL yet",
        columns=BROKER_COLUMNS if broker else PNL_COLUMNS,
    )


def orders(
    account: Account = None,
    every: Annotated[bool, typer.Option("--all", help="final orders too")] = False,
    bootstrap: Bootstrap = None,
    as_json: Json = False,
) -> None:
    """Open and parked orders (risk's view), with the latest step of each order."""
    server = bootstrap_of(bootstrap)
    state = run_on_kafka(read_state(server, [RISK_STATE, ORDERS_EVENTS]), server)
    show(
        views.order_rows(state, account, every),
        title="Orders" if every else "Open orders",
        as_json=as_json,
        empty="no orders" if every else "no open orders",
        columns=["signal_id", "strategy_id", "symbol", "side", "quantity", "filled_quantity",
                 "status", "step"],
    )  # fmt: skip


def status(account: Account = None, bootstrap: Bootstrap = None, as_json: Json = False) -> None:
    """Per account: session state, whether it may trade, egress verdict, kill switch and a
    POSITION_DRIFT halt (``sluice accept-broker`` lifts it)."""
    server = bootstrap_of(bootstrap)
    state = run_on_kafka(read_state(server, [SESSION_STATE, SESSION_REPORTS, RISK_STATE]), server)
    rows = views.status_rows(state, account)
    every = views.global_kill(state)
    if as_json:
        typer.echo(json.dumps({"accounts": rows, "all_accounts": every}))
        return
    show(
        rows,
        title="Status",
        as_json=False,
        empty="no account has reported yet",
        columns=[
            "account",
            "session",
            "trading_allowed",
            "egress",
            "kill_switch",
            "position_drift",
            "reason",
        ],
    )
    switch = "ON: " + every["kill_reason"] if every["kill_switch"] else "off"
    typer.echo(f"kill switch for all accounts: {switch}")
