"""``sluice kill`` and ``sluice resume``: the kill switch on ``sluice.control.v1``;
``sluice accept-broker``: adopt the broker's positions and lift a ``POSITION_DRIFT`` halt.

Each waits until risk's state on Kafka shows the switch as asked (risk writes it in the same
transaction as its cancels), so "done" means risk has acted, not only that a record was sent.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import time
from collections.abc import Callable
from typing import Annotated

import typer

from sluice_cli.broker_reach import BOOTSTRAP_HELP, bootstrap_of
from sluice_cli.on_kafka import (
    JSON_HELP,
    cli_bus,
    read_state,
    run_on_kafka,
)
from sluice_cli.operator_state import OperatorState
from sluice_proto import AcceptBroker, KillSwitch, Resume
from sluice_proto.codec import encode
from sluice_proto.control import ALL_ACCOUNTS
from sluice_proto.topics import CONTROL, RISK_STATE

CONFIRM_POLL_S = 0.2

AccountOption = Annotated[str, typer.Option(help="the account, or * for every account")]
Reason = Annotated[str, typer.Option(help="why (kept with the switch)")]
Wait = Annotated[float, typer.Option(help="seconds to wait for risk to confirm (0: don't)")]
Bootstrap = Annotated[str | None, typer.Option(help=BOOTSTRAP_HELP)]
Json = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


def _switch_command(event: type[KillSwitch | Resume], on: bool, doc: str) -> Callable[..., None]:
    """The command that turns the kill switch ``on`` (``KillSwitch``) or off (``Resume``)."""

    def command(
        account: AccountOption = ALL_ACCOUNTS,
        reason: Reason = "",
        wait: Wait = 15.0,
        bootstrap: Bootstrap = None,
        as_json: Json = False,
    ) -> None:
        sent = event(account=account, operator=_operator(), reason=reason)
        done = f"kill switch {'on' if on else 'off'} for {account}"
        _send(sent, _switch(account, on), done, wait=wait, bootstrap=bootstrap, as_json=as_json)

    command.__doc__ = doc
    return command


kill = _switch_command(
    KillSwitch,
    True,
    "Stop new orders of the account (every account by default) and cancel its open orders.",
)
resume = _switch_command(
    Resume, False, "Lift the kill switch of the account (* lifts every switch)."
)


def accept_broker(
    account: Annotated[
        str, typer.Option(help="the halted account, or * for every account halted for drift")
    ],
    reason: Reason = "",
    wait: Wait = 15.0,
    bootstrap: Bootstrap = None,
    as_json: Json = False,
) -> None:
    """Accept the broker's positions as risk's book and lift the POSITION_DRIFT halt."""
    command = AcceptBroker(account=account, operator=_operator(), reason=reason)
    server = bootstrap_of(bootstrap)
    # risk writes the account's state when it adopts the broker's figures: a record newer
    # than this one (compared as written, not by clocks) without drift confirms it
    before = run_on_kafka(read_state(server, [RISK_STATE]), server).accounts.get(account)

    def accepted(state: OperatorState) -> bool:
        if account == ALL_ACCOUNTS:
            return not any(a.drift for a in state.accounts.values())
        found = state.accounts.get(account)
        return found is not None and found != before and not found.drift

    done = f"broker's positions accepted for {account}, drift halt lifted"
    _send(command, accepted, done, wait=wait, bootstrap=server, as_json=as_json)


Confirmed = Callable[[OperatorState], bool]
"""Whether risk's state shows the command carried out."""


def _switch(account: str, killed: bool) -> Confirmed:
    def confirmed(state: OperatorState) -> bool:
        switch = state.accounts.get(account)
        return switch is not None and switch.killed == killed

    return confirmed


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment (some containers)
        return "unknown"


def _send(
    command: KillSwitch | Resume | AcceptBroker,
    done: Confirmed,
    what: str,
    *,
    wait: float,
    bootstrap: str | None,
    as_json: bool,
) -> None:
    server = bootstrap_of(bootstrap)
    confirmed = run_on_kafka(_publish_and_confirm(server, command, done, wait), server)
    if as_json:
        document = {"published": json.loads(encode(command)), "confirmed": confirmed}
        typer.echo(json.dumps(document))
    elif confirmed:
        typer.echo(f"{what} (risk confirmed)")
    else:
        typer.echo(f"published: {what}")
    if wait > 0 and not confirmed:
        typer.echo(f"risk did not confirm within {wait:g}s: is risk running?", err=True)
        raise typer.Exit(1)


async def _publish_and_confirm(
    bootstrap: str, command: KillSwitch | Resume | AcceptBroker, done: Confirmed, wait: float
) -> bool:
    bus = cli_bus("sluice-cli", bootstrap)
    await bus.start()
    try:
        await bus.publish(CONTROL, command, key=command.account)
    finally:
        await bus.stop()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if done(await read_state(bootstrap, [RISK_STATE])):
            return True
        await asyncio.sleep(CONFIRM_POLL_S)
    return False
