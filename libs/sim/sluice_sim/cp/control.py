"""The test/operator handle on a running simulator: fault injection and counters.

Every operation is also served over HTTP under ``/_sim`` (outside the guarded API, so the
allowlist and rate limits never get in the way of the test driving them). Every fault injected
is logged at WARNING.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from sluice_sim.venue.venue import Auction

from .guards import CONTROL_PREFIX
from .oauth import OAuthServer
from .state import CpState, Fault

log = logging.getLogger(__name__)


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
        allowed = "anyone" if ips is None else ", ".join(sorted(ips)) or "nobody"
        log.warning("fault: registered caller IPs now %s (others get 403)", allowed)
        self._state.allowlist = frozenset(ips) if ips is not None else None

    def fail_next(
        self, status: int, count: int = 1, path_prefix: str = "", body: dict[str, Any] | None = None
    ) -> None:
        """Answer the next ``count`` requests under ``path_prefix`` with ``status``."""
        where = path_prefix or "any path"
        log.warning("fault: the next %d request(s) to %s answer %d", count, where, status)
        self._state.faults.append(Fault(status, count, path_prefix, body or {}))

    def script_prompts(self, *chains: list[str]) -> None:
        """The next orders answer with these reply-prompt chains, one chain per order."""
        log.warning("fault: the next %d order(s) answer with scripted prompts", len(chains))
        self._state.scripted_prompts.extend(list(c) for c in chains)

    def auction(self, which: Auction) -> int:
        """Run the opening (OPG) or closing (MOC, LOC) auction now; how many orders it met."""
        return len(self._state.venue.auction(which))

    def hold_prices(self, enabled: bool) -> None:
        """Keep quoting without moving prices (only ``set_mid`` moves them) while enabled."""
        self._state.venue.quotes.still = enabled

    def compete(self) -> None:
        """Another login takes the brokerage session."""
        log.warning("fault: another login takes the brokerage session (competing)")
        self._state.session.compete()

    def drop_bridge(self) -> None:
        """The brokerage session goes away (400 "no bridge" until ssodh/init)."""
        log.warning("fault: brokerage session dropped (400 no bridge until ssodh/init)")
        self._state.session.drop_bridge()

    def expire_in(self, seconds: float) -> None:
        """Make the SSO session expire after ``seconds`` (0: now)."""
        log.warning("fault: the SSO session expires in %g s (then 401)", seconds)
        self._state.session.expire_in(seconds)

    def login(self) -> None:
        """A fresh login, as the operator's browser would do."""
        log.info("login: a fresh SSO session")
        self._state.session.login()

    def release(self, ip: str | None = None) -> None:
        """Let a caller (None: every caller) out of the penalty box."""
        self._state.gate.release(ip)

    def silence_streams(self) -> int:
        """Every WebSocket open now stops sending (it stays open); returns how many."""
        return self._state.streams.silence()

    def drop_streams(self) -> int:
        """Close every WebSocket open now; returns how many."""
        return self._state.streams.drop()

    def set_smd_expiry(self, seconds: float) -> None:
        """WebSocket market-data topics subscribed from now on end after ``seconds``."""
        log.warning("fault: WebSocket market data now ends %g s after its smd", seconds)
        self._state.streams.smd_expiry_s = seconds

    @property
    def webapi(self) -> bool:
        """True in ``webapi`` (OAuth 1.0a) mode."""
        return self._state.oauth is not None

    def expire_lsts(self) -> None:
        """``webapi``: every live session token issued so far stops working now."""
        log.warning("fault: every live session token issued so far expires now")
        self._oauth().expire_all()

    def set_lst_lifetime(self, seconds: float) -> None:
        """``webapi``: live session tokens issued from now on last ``seconds``."""
        log.warning("fault: live session tokens issued from now on last %g s", seconds)
        self._oauth().lst_lifetime_s = seconds

    def write_credentials(self, directory: Path) -> Path:
        """``webapi``: write the consumer's six credential files (``IBKR_OAUTH_DIR``)."""
        return self._oauth().keys.write(directory)

    def adjust_position(self, account: str, symbol: str, quantity: Decimal) -> None:
        """Change a position behind the API's back (a transfer, a corporate action, a trade
        elsewhere): ``quantity`` is added at the mark."""
        log.warning("fault: position of %s in %s changed by %s outside any order",
                    account, symbol, quantity)  # fmt: skip
        self._state.venue.adjust_position(account, symbol, quantity)

    def counters(self) -> dict[str, Any]:
        """Requests by endpoint, answers by status, requests and refusals by caller IP; in
        ``webapi`` mode also live session tokens issued and OAuth 401s by error text; ``ws``:
        WebSockets opened and open, messages received and sent by topic."""
        c = self._state.counters
        oauth = self._state.oauth
        streams = self._state.streams
        return {
            "endpoints": dict(c.endpoints),
            "statuses": {str(k): v for k, v in c.statuses.items()},
            "callers": dict(c.callers),
            "refused_callers": dict(c.refused_callers),
            "lst_issued": oauth.issued if oauth is not None else 0,
            "oauth_refusals": dict(c.oauth_refusals),
            "ws": {
                "connections": streams.connections,
                "open": len(streams.clients),
                "received": dict(streams.received),
                "sent": dict(streams.sent),
            },
        }

    def _oauth(self) -> OAuthServer:
        if self._state.oauth is None:
            raise RuntimeError("the simulator is not in webapi (OAuth) mode")
        return self._state.oauth


def control_routes(control: CpControl) -> APIRouter:
    """The control API over HTTP."""
    router = APIRouter(prefix=CONTROL_PREFIX)

    @router.get("/counters")
    async def counters() -> dict[str, Any]:
        return control.counters()

    @router.post("/fault")
    async def fault(body: dict[str, Any] = Body(...)) -> dict[str, str]:  # noqa: B008
        control.fail_next(
            int(body["status"]),
            int(body.get("count", 1)),
            str(body.get("path_prefix", "")),
            body.get("body"),
        )
        return {"ok": "fault armed"}

    @router.post("/allow")
    async def allow(body: dict[str, Any] = Body(...)) -> dict[str, str]:  # noqa: B008
        ips = body.get("ips")
        control.allow(None if ips is None else set(ips))
        return {"ok": "allowlist set"}

    @router.post("/release")
    async def release(body: dict[str, Any] | None = Body(None)) -> dict[str, str]:  # noqa: B008
        control.release((body or {}).get("ip"))
        return {"ok": "released"}

    @router.post("/session/{action}")
    async def session(action: str, body: dict[str, Any] | None = Body(None)) -> Any:  # noqa: B008
        seconds = float((body or {}).get("seconds", 0))
        actions: dict[str, Callable[[], None]] = {
            "compete": control.compete,
            "drop_bridge": control.drop_bridge,
            "login": control.login,
            "expire": partial(control.expire_in, seconds),
        }
        if action not in actions:
            return JSONResponse({"error": f"unknown action {action}"}, 404)
        actions[action]()
        return {"ok": action}

    @router.post("/oauth/{action}")
    async def oauth(action: str, body: dict[str, Any] | None = Body(None)) -> Any:  # noqa: B008
        if not control.webapi:
            return JSONResponse({"error": "not in webapi mode"}, 409)
        if action == "lifetime":
            control.set_lst_lifetime(float((body or {})["seconds"]))
        elif action == "expire":
            control.expire_lsts()
        elif action == "credentials":
            written = control.write_credentials(Path((body or {})["directory"]))
            return {"ok": action, "directory": str(written)}
        else:
            return JSONResponse({"error": f"unknown action {action}"}, 404)
        return {"ok": action}

    @router.post("/ws/{action}")
    async def streams(action: str, body: dict[str, Any] | None = Body(None)) -> Any:  # noqa: B008
        if action == "silence":
            return {"ok": action, "sockets": control.silence_streams()}
        if action == "drop":
            return {"ok": action, "sockets": control.drop_streams()}
        if action == "smd-expiry":
            control.set_smd_expiry(float((body or {})["seconds"]))
            return {"ok": action}
        return JSONResponse({"error": f"unknown action {action}"}, 404)

    @router.post("/prompts")
    async def prompts(body: dict[str, Any] = Body(...)) -> dict[str, str]:  # noqa: B008
        control.script_prompts(*body["chains"])
        return {"ok": "scripted"}

    @router.post("/positions/adjust")
    async def adjust(body: dict[str, Any] = Body(...)) -> dict[str, str]:  # noqa: B008
        control.adjust_position(body["account"], body["symbol"], Decimal(str(body["quantity"])))
        return {"ok": "adjusted"}

    return router
