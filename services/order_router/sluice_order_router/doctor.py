"""``sluice doctor``: check an IB Gateway / TWS API connection and say what to fix.

What IBKR's API verification script checks (connect, server time, managed accounts, account
summary, positions) plus the failures people actually hit, each with its fix: nothing
listening (gateway down, API disabled, wrong port), the socket closed at once (source IP not
trusted), some other server on the port (``doctor_probe`` says which), client id in use, and
paper/live disagreement. Each fix names the option or variable the person actually used
(``Knobs``). The Client Portal / Web API checks are in ``doctor_rest``.
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
from sluice_order_router.doctor_finding import Finding
from sluice_order_router.doctor_probe import CLOSES_AT_ONCE, identify
from sluice_order_router.domain.guards import TradingMode, account_mode, port_mode

PORTS = "paper: 4002 (IB Gateway) / 7497 (TWS); live: 4001 / 7496"


@dataclass(frozen=True, slots=True)
class Knobs:
    """How each input was given (``sluice doctor``'s options and the variables they read), so a
    fix names what the person can actually change."""

    host: str = "--host / IBKR_HOST"
    port: str = "--port / IBKR_PORT"
    client_id: str = "--client-id"
    mode: str = "--mode / TRADING_MODE"
    account: str = "--account / IBKR_ACCOUNT"
    bind: str = "--bind / IBKR_BIND_ADDRESS"


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
    knobs: Knobs = Knobs()


async def diagnose(target: Target) -> list[Finding]:
    """Run every check that can run; stops after a failed connect."""
    findings = _port_findings(target)
    ib = SluiceIB(Pacer(45.0), target.bind_address)
    endpoint = Endpoint(target.host, target.port, timeout_s=target.timeout_s)
    failed = await _connect(ib, endpoint, target)
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
    mode, port = target.knobs.mode, target.knobs.port
    return [
        Finding(
            "paper/live", False, f"{mode} is {target.mode} but port {target.port} is {by_port}",
            f"use a {target.mode} port ({PORTS}) with {port}, or set {mode} to {by_port}",
        )
    ]  # fmt: skip


async def _connect(ib: SluiceIB, endpoint: Endpoint, target: Target) -> Finding | None:
    where, knobs = f"{endpoint.host}:{endpoint.port}", target.knobs
    try:
        await open_api(ib, endpoint, target.client_id)
    except ConnectionRefusedError:
        return Finding(
            "connect", False, f"connection refused at {where}",
            "start IB Gateway / TWS and log in; enable the API (Configure > Settings > API > "
            f"'Enable ActiveX and Socket Clients'); check {knobs.port} ({PORTS})",
        )  # fmt: skip
    except ClientIdInUseError:
        return Finding(
            "connect", False, f"client id {target.client_id} is already in use at {where}",
            f"pass a {knobs.client_id} no other API session uses",
        )  # fmt: skip
    except (ClosedAtOnceError, ClosedDuringStartError, TimeoutError) as exc:
        # A silent or a foreign server fails the handshake the same ways: ask what it is.
        return await _not_the_api(where, target, exc)
    except OSError as exc:
        return Finding(
            "connect", False, f"cannot connect to {where}: {exc}",
            f"check {knobs.host} and {knobs.bind}",
        )  # fmt: skip
    return None


async def _not_the_api(where: str, target: Target, failure: Exception) -> Finding:
    knobs = target.knobs
    seen = await identify(target.host, target.port, min(target.timeout_s, 2.0))
    if seen is CLOSES_AT_ONCE and isinstance(failure, ClosedAtOnceError):
        return Finding(
            "connect", False, f"{where} closed the connection at once (before the handshake)",
            "add this machine's source IP to Trusted IPs (Configure > Settings > API > "
            f"Settings), or send from a trusted address ({knobs.bind})",
        )  # fmt: skip
    if seen is CLOSES_AT_ONCE:
        detail = str(failure) or f"no API answer from {where}"
        return Finding("connect", False, detail, "check the gateway's API log for the reason")
    hint = " (a Client Portal Gateway? try sluice doctor --api rest)" if "TLS" in seen else ""
    return Finding(
        "connect", False, f"{where} is not an IB Gateway/TWS API port: it looks like {seen}",
        f"point {knobs.port} at the gateway's API socket port ({PORTS}){hint}",
    )  # fmt: skip


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
                f"set {target.knobs.account} to one of {', '.join(accounts)}",
            )
        ]  # fmt: skip
    checked = [target.account] if target.account else accounts
    kinds = {account_mode(a) for a in checked}
    by_port = port_mode(target.port)
    expected = target.mode or by_port
    if expected is None or kinds == {expected}:
        return [Finding("paper/live", True, f"{'/'.join(sorted(map(str, kinds)))} account(s)")]
    knobs = target.knobs
    return [
        Finding(
            "paper/live", False,
            f"expected {expected} ({knobs.mode} / port) but the account(s) "
            f"{', '.join(checked)} are {'/'.join(sorted(map(str, kinds)))}",
            f"log in with the matching account (paper DU..., live U...) or fix {knobs.mode} "
            f"and {knobs.port}",
        )
    ]  # fmt: skip
