"""The checks every API request passes before its route, in IBKR's order.

Caller allowlist (403), injected faults, in ``webapi`` mode the OAuth 1.0a signature (401 with
IBKR's error body), rate limits and the penalty box (429), then the session: no SSO session →
401, no brokerage bridge → 400 "no bridge".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from .oauth import LST_PATH, OAuthError, OAuthServer
from .state import CpState

API_PREFIX = "/v1/api"
CONTROL_PREFIX = "/_sim"
_BRIDGE_FREE = ("/iserver/auth/status", "/iserver/auth/ssodh/init", "/iserver/reauthenticate")

Next = Callable[[Request], Awaitable[Response]]
log = logging.getLogger(__name__)


def endpoint_key(method: str, path: str) -> str:
    """``"GET /iserver/account/orders"``: the name limits and counters use."""
    return f"{method} {path.removeprefix(API_PREFIX)}"


def _oauth_refusal(
    oauth: OAuthServer, state: CpState, request: Request, path: str
) -> JSONResponse | None:
    # The signed URL is the one the client addressed: its Host header, our scheme, the path.
    host = request.headers.get("host", request.url.netloc)
    try:
        request.state.oauth = oauth.authenticate(
            request.method,
            f"{request.url.scheme}://{host}{request.url.path}",
            request.headers.get("authorization"),
            lst_request=path == LST_PATH,
        )
    except OAuthError as refusal:
        state.counters.oauth_refusals[refusal.text] += 1
        return JSONResponse(oauth.error_body(refusal.text), 401)
    return None


def _refusal(state: CpState, request: Request, path: str) -> JSONResponse | None:
    ip = request.client.host if request.client else "unknown"
    if state.allowlist is not None and ip not in state.allowlist:
        state.counters.refused_callers[ip] += 1
        log.warning("allowlist: %s %s from %s refused with 403", request.method, path, ip)
        return JSONResponse({"error": f"access denied: source address {ip} not registered"}, 403)
    for fault in state.faults:
        if fault.remaining > 0 and path.startswith(fault.path_prefix):
            fault.remaining -= 1
            log.warning(
                "fault: %s %s answered %d (%d more to come)",
                request.method, path, fault.status, fault.remaining,
            )  # fmt: skip
            return JSONResponse(fault.body or {"error": "Service Unavailable"}, fault.status)
    if state.oauth is not None and (refused := _oauth_refusal(state.oauth, state, request, path)):
        return refused
    boxed = state.gate.admit(ip, endpoint_key(request.method, path), state.clock())
    if boxed is not None:
        headers = {"Retry-After": str(int(boxed) + 1)}
        return JSONResponse({"error": "Too many requests"}, 429, headers=headers)
    if not state.session.logged_in and not (state.oauth and path == LST_PATH):
        return JSONResponse({"error": "not authenticated", "statusCode": 401}, 401)
    if path.startswith("/iserver/") and path not in _BRIDGE_FREE and not state.session.bridged:
        return JSONResponse({"error": "no bridge", "statusCode": 400}, 400)
    return None


def guard(state: CpState) -> Callable[[Request, Next], Awaitable[Response]]:
    """The middleware function guarding ``/v1/api`` for ``state``."""

    async def middleware(request: Request, call_next: Next) -> Response:
        if not request.url.path.startswith(API_PREFIX):
            return await call_next(request)
        path = request.url.path.removeprefix(API_PREFIX)
        state.counters.endpoints[endpoint_key(request.method, path)] += 1
        if request.client:
            state.counters.callers[request.client.host] += 1
        response = _refusal(state, request, path) or await call_next(request)
        state.counters.statuses[response.status_code] += 1
        return response

    return middleware
