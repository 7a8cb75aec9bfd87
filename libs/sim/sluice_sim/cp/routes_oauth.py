"""``POST /oauth/live_session_token`` of the ``webapi`` mode (the guard has checked the request)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .oauth import LST_PATH, OAuthError, OAuthServer
from .state import CpState


def oauth_routes(state: CpState, oauth: OAuthServer) -> APIRouter:
    """The live session token endpoint bound to ``state``."""
    router = APIRouter()

    @router.post(LST_PATH)
    async def live_session_token(request: Request) -> Any:
        params: dict[str, str] = request.state.oauth
        try:
            answer = oauth.issue(params.get("diffie_hellman_challenge", ""))
        except OAuthError as refusal:
            state.counters.oauth_refusals[refusal.text] += 1
            return JSONResponse(oauth.error_body(refusal.text), 401)
        if not state.session.logged_in:
            # A new token is a new login; the brokerage session still waits for ssodh/init.
            state.session.login(bridge=False)
        return answer

    return router
