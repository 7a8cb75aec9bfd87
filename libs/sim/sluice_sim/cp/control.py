"""The test/operator handle on a running simulator: fault injection and counters.

The same operations are served over HTTP under ``/_sim`` (outside the guarded API, so the
allowlist and rate limits never get in the way of the test driving them).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Body

from .guards import CONTROL_PREFIX
from .state import CpState, Fault


class CpControl:
    """Fault injection and counters of one simulator."""

    def __init__(self, state: CpState) -> None:
        self._state = state

    @property
    def state(self) -> CpState:
        """The live state (venue, session), for assertions."""
        return self._state

    def allow(self, ips: set[str] | None) -> None:
        """Register exactly these caller IPs (None: accept everyone)."""
        self._state.allowlist = frozenset(ips) if ips is not None else None

    def fail_next(
        self, status: int, count: int = 1, path_prefix: str = "", body: dict[str, Any] | None = None
    ) -> None:
        """Answer the next ``count`` requests under ``path_prefix`` with ``status``."""
        self._state.faults.append(Fault(status, count, path_prefix, body or {}))

    def script_prompts(self, *chains: list[str]) -> None:
        """The next orders answer with these reply-prompt chains, one chain per order."""
        self._state.scripted_prompts.extend(list(c) for c in chains)

    def compete(self) -> None:
        """Another login takes the brokerage session."""
        self._state.session.compete()

    def drop_bridge(self) -> None:
        """The brokerage session goes away (400 "no bridge" until ssodh/init)."""
        self._state.session.drop_bridge()

    def expire_in(self, seconds: float) -> None:
        """Make the SSO session expire after ``seconds`` (0: now)."""
        self._state.session.expire_in(seconds)

    def login(self) -> None:
        """A fresh login, as the operator's browser would do."""
        self._state.session.login()

    def release(self, ip: str) -> None:
        """Let a caller out of the penalty box."""
        self._state.gate.release(ip)

    def counters(self) -> dict[str, Any]:
        """Requests by endpoint, answers by status, requests and refusals by caller IP."""
        c = self._state.counters
        return {
            "endpoints": dict(c.endpoints),
            "statuses": {str(k): v for k, v in c.statuses.items()},
            "callers": dict(c.callers),
            "refused_callers": dict(c.refused_callers),
        }


def control_routes(control: CpControl) -> APIRouter:
    """The control API over HTTP."""
    router = APIRouter(prefix=CONTROL_PREFIX)

    @router.get("/counters")
    async def counters() -> dict[str, Any]:
        return control.counters()

    @router.post("/fault")
    async def fault(body: dict[str, Any] = Body(...)) -> dict[str, str]:  # noqa: B008
        control.fail_next(
            int(body["status"]), int(body.get("count", 1)), str(body.get("path_prefix", ""))
        )
        return {"ok": "fault armed"}

    @router.post("/session/{action}")
    async def session(action: str) -> dict[str, str]:
        actions: dict[str, Callable[[], None]] = {
            "compete": control.compete,
            "drop_bridge": control.drop_bridge,
            "login": control.login,
            "expire": partial(control.expire_in, 0),
        }
        actions[action]()
        return {"ok": action}

    @router.post("/prompts")
    async def prompts(body: dict[str, Any] = Body(...)) -> dict[str, str]:  # noqa: B008
        control.script_prompts(*body["chains"])
        return {"ok": "scripted"}

    return router
