"""Session endpoints: tickle, auth status, ssodh init, reauthenticate, logout, sso/validate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from .session import AuthState
from .state import CpState


def _auth_status(auth: AuthState) -> dict[str, Any]:
    return {
        "authenticated": auth.authenticated,
        "connected": auth.connected,
        "competing": auth.competing,
        "message": auth.message,
        "MAC": "00:00:5E:00:53:01",
        "serverInfo": {"serverName": "sluice-sim", "serverVersion": "Build sim"},
        "fail": "",
    }


def session_routes(state: CpState) -> APIRouter:
    """The session endpoints bound to ``state``."""
    router = APIRouter()

    @router.api_route("/tickle", methods=["GET", "POST"])
    async def tickle() -> dict[str, Any]:
        auth = state.session.state()
        return {
            "session": "sim-session",
            "ssoExpires": auth.sso_expires_ms,
            "collission": auth.competing,
            "userId": 1,
            "hmds": {"error": "no bridge"} if not auth.authenticated else {},
            "iserver": {"authStatus": _auth_status(auth)},
        }

    @router.api_route("/iserver/auth/status", methods=["GET", "POST"])
    async def auth_status() -> dict[str, Any]:
        return _auth_status(state.session.state())

    @router.post("/iserver/auth/ssodh/init")
    async def ssodh_init() -> dict[str, Any]:
        state.session.open_bridge()
        state.accounts_queried = False
        return _auth_status(state.session.state())

    @router.api_route("/iserver/reauthenticate", methods=["GET", "POST"])
    async def reauthenticate() -> dict[str, Any]:
        state.session.open_bridge()
        state.accounts_queried = False
        return {"message": "triggered"}

    @router.api_route("/logout", methods=["GET", "POST"])
    async def logout() -> dict[str, Any]:
        state.session.logout()
        return {"status": True}

    @router.get("/sso/validate")
    async def sso_validate(request: Request) -> dict[str, Any]:
        auth = state.session.state()
        return {
            "USER_NAME": state.config.username,
            "RESULT": auth.logged_in,
            "AUTH_TIME": 0,
            "EXPIRES": auth.sso_expires_ms,
            "IP": request.client.host if request.client else "",
            "LANDING_APP": "UNIVERSAL",
            "IS_MASTER": False,
            "LOGIN_TYPE": 2,
        }

    return router
