"""Session endpoints: tickle, auth status, ssodh init, reauthenticate, logout, sso/validate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from .session import AuthState
from .state import CpState

MAC = "00:00:5E:00:53:01"
"""An address from RFC 7042's documentation block: never a real machine's."""
HARDWARE_INFO = f"5e0053a1|{MAC}"
"""IBKR's ``<8 hex digits>|<MAC>`` form."""
NO_BRIDGE = {"error": "no bridge"}
"""``hmds`` in a tickle: the historical-data bridge, which only a history request opens (the
simulator serves none over REST), so it reports no bridge as IBKR's does."""


def _auth_core(auth: AuthState) -> dict[str, Any]:
    return {
        "authenticated": auth.authenticated,
        "competing": auth.competing,
        "connected": auth.connected,
        "message": auth.message,
        "MAC": MAC,
        "serverInfo": {"serverName": "sluice-sim", "serverVersion": "Build sim"},
    }


def _auth_status(auth: AuthState) -> dict[str, Any]:
    """``/iserver/auth/status``'s body: it (and only it) carries an empty ``fail``."""
    return {**_auth_core(auth), "fail": ""}


def tickle_body(auth: AuthState, user_id: int = 1, session: str = "sim-session") -> dict[str, Any]:
    """``/tickle``'s body as IBKR's: ``hmds`` with its bridge error, ``hardware_info`` in the
    auth status, and no ``fail`` field."""
    return {
        "session": session,
        "ssoExpires": auth.sso_expires_ms,
        "collission": auth.competing,
        "userId": user_id,
        "hmds": NO_BRIDGE,
        "iserver": {"authStatus": {**_auth_core(auth), "hardware_info": HARDWARE_INFO}},
    }


def session_routes(state: CpState) -> APIRouter:
    """The session endpoints bound to ``state``."""
    router = APIRouter()

    @router.api_route("/tickle", methods=["GET", "POST"])
    async def tickle() -> dict[str, Any]:
        return tickle_body(state.session.state(), session=state.session_token)

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
