"""``sluice doctor``: check an IB Gateway / TWS API connection and say what to fix.

What IBKR's API verification script checks (connect, server time, managed accounts, account
summary, positions) plus the failures people actually hit, each with its fix: nothing
listening (gateway down, API disabled, wrong port), the socket closed at once (source IP not
trusted), client id in use, and paper/live disagreement.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sluice_order_router.adapters.socket.handshake import (
    ClientIdInUseError,
    ClosedAtOnceError,
    ClosedDuringStartError,
    Endpoint,
    open_api,
)
from sluice_order_router.adapters.socket.pacing import Pacer
from sluice_order_router.adapters.socket.transport import SluiceIB
from sluice_order_router.domain.guards import TradingMode, account_mode, port_mode

PORTS = "paper: 4002 (IB Gateway) / 7497 (TWS); live: 4001 / 7496"


@dataclass(frozen=True, slots=True)
class Finding:
    """One check: passed or not, what was seen and, when it failed, what to do."""

    check: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """What to check."""

    host: str = "127.0.0.1"
    port: int = 4002
    client_id: int = 99  # not the router's: doctor runs beside a live router
    mode: TradingMode | None = None
    account: str | None = None
    bind_address: str | None = None
    timeout_s: float = 5.0


async def diagnose(target: Target) -> list[Finding]:
    """Run every check that can run; stops after a failed connect."""
    findings = _port_findings(target)
    ib = SluiceIB(Pacer(45.0), target.bind_address)
    endpoint = Endpoint(target.host, target.port, timeout_s=target.timeout_s)
    failed = await _connect(ib, endpoint, target.client_id)
    if failed is not None:
        return [*findings, failed]
    try:
        findings.append(Finding("connect", True, f"API session up as client id {target.client_id}"))
        findings += await _account_findings(ib, target)
    finally:
        ib.disconnect()
    return findings


def _port_findings(target: Target) -> list[Finding]:
    by_port = port_mode(target.port)
    if target.mode is None or by_port is None or by_port == target.mode:
        return []
    return [
        Finding(
            "paper/live", False, f"TRADING_MODE={target.mode} but port {target.port} is {by_port}",
            f"use a {target.mode} port ({PORTS}) or set TRADING_MODE={by_port}",
        )
    ]  # fmt: skip


async def _connect(ib: SluiceIB, endpoint: Endpoint, client_id: int) -> Finding | None:
    where = f"{endpoint.host}:{endpoint.port}"
    try:
        await open_api(ib, endpoint, client_id)
    except ConnectionRefusedError:
        return Finding(
            "connect", False, f"connection refused at {where}",
            "start IB Gateway / TWS and log in; enable the API (Configure > Settings > API > "
            "'Enable ActiveX and Socket Clients'); check the port (" + PORTS + ")",
        )  # fmt: skip
    except ClosedAtOnceError:
        return Finding(
            "connect", False, f"{where} closed the connection at once (before the handshake)",
            "add this machine's source IP to Trusted IPs (Configure > Settings > API > "
            "Settings), or send from a trusted address (IBKR_BIND_ADDRESS)",
        )  # fmt: skip
    except ClientIdInUseError:
        return Finding(
            "connect", False, f"client id {client_id} is already in use at {where}",
            "use a client id no other API session uses (IBKR_CLIENT_ID), or list spare ids in "
            "IBKR_CLIENT_ID_POOL",
        )  # fmt: skip
    except ClosedDuringStartError as exc:
        return Finding("connect", False, str(exc), "check the gateway's API log for the reason")
    except TimeoutError:
        return Finding(
            "connect", False, f"no API answer from {where} within {endpoint.timeout_s:.0f} s",
            f"is this an IB API socket port ({PORTS})? is the gateway logged in?",
        )  # fmt: skip
    except OSError as exc:
        return Finding("connect", False, f"cannot connect to {where}: {exc}", "check host/bind")
    return None


async def _account_findings(ib: SluiceIB, target: Target) -> list[Finding]:
    now = await asyncio.wait_for(ib.reqCurrentTimeAsync(), target.timeout_s)
    accounts = ib.managedAccounts()
    summary = await asyncio.wait_for(ib.accountSummaryAsync(), target.timeout_s)
    values = {v.tag: f"{v.value} {v.currency}".strip() for v in summary}
    positions = ib.positions()
    found = [
        Finding("server time", True, now.isoformat()),
        Finding("managed accounts", True, ", ".join(accounts)),
        Finding(
            "account summary", bool(summary),
            f"NetLiquidation {values.get('NetLiquidation', '?')}, "
            f"BuyingPower {values.get('BuyingPower', '?')}",
            "" if summary else "no account summary: is the account fully logged in?",
        ),
        Finding("positions", True, f"{len(positions)} position(s)"),
    ]  # fmt: skip
    return found + _mode_findings(target, accounts)


def _mode_findings(target: Target, accounts: list[str]) -> list[Finding]:
    if target.account is not None and target.account not in accounts:
        return [
            Finding(
                "account", False, f"{target.account} is not managed by this login",
                f"set IBKR_ACCOUNT to one of {', '.join(accounts)}",
            )
        ]  # fmt: skip
    checked = [target.account] if target.account else accounts
    kinds = {account_mode(a) for a in checked}
    by_port = port_mode(target.port)
    expected = target.mode or by_port
    if expected is None or kinds == {expected}:
        return [Finding("paper/live", True, f"{'/'.join(sorted(map(str, kinds)))} account(s)")]
    return [
        Finding(
            "paper/live", False,
            f"expected {expected} (TRADING_MODE / port) but the account(s) "
            f"{', '.join(checked)} are {'/'.join(sorted(map(str, kinds)))}",
            "log in with the matching account (paper DU..., live U...) or fix TRADING_MODE "
            "and the port",
        )
    ]  # fmt: skip
