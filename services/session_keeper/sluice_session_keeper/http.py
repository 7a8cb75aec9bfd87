"""``GET /status``: each account's verdict, its last reports, the next tickle and the role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from fastapi import APIRouter

from sluice_session_keeper.domain import SessionMachine, Window
from sluice_session_keeper.service import SessionKeeper


def _window(window: Window | None) -> dict[str, str] | None:
    if window is None:
        return None
    return {"name": window.name, "start": window.start.isoformat(), "end": window.end.isoformat()}


def _role(keeper: SessionKeeper, account: str) -> str:
    return "active" if account in keeper.active else "passive"


def account_status(keeper: SessionKeeper, machine: SessionMachine, now: datetime) -> dict[str, Any]:
    """The status of one account as ``/status`` shows it."""
    verdict = machine.verdict(now)
    active = machine.account in keeper.active
    tickles = machine.policy.path == "rest" and active
    return {
        "account": machine.account,
        "role": _role(keeper, machine.account),
        "state": verdict.state,
        "trading_allowed": verdict.trading_allowed,
        "reason": verdict.reason,
        "since": machine.since.isoformat(),
        "path": machine.policy.path,
        "next_tickle_at": machine.next_tickle_at.isoformat() if tickles else None,
        "router_heard_at": heard.isoformat() if (heard := machine.router_heard_at) else None,
        "reset_window": _window(machine.calendar.active(now)),
        "next_reset_window": _window(machine.calendar.next(now)),
        "last_reports": {
            name: msgspec.to_builtins(report) for name, report in machine.last_reports.items()
        },
    }


def status_router(keeper: SessionKeeper) -> APIRouter:
    """The keeper's HTTP routes."""
    router = APIRouter()

    @router.get("/status")
    async def status() -> dict[str, Any]:
        """This instance's role and every account it knows."""
        now = keeper.clock()
        return {
            "instance_id": keeper.instance_id,
            "role": "active" if keeper.active else "passive",
            "accounts": [account_status(keeper, m, now) for m in keeper.machines.values()],
        }

    return router
