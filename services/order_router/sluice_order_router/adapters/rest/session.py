"""Session primitives the session-keeper drives, and the egress self-check."""

from __future__ import annotations

from typing import Any, Literal

from sluice_order_router.domain.egress import egress_verdict
from sluice_order_router.ports import BrokerRejectedError, NotConnectedError
from sluice_proto.session import AuthStatusReport, EgressReport

from .client import CpClient

AuthCommand = Literal["tickle", "auth_status", "reauthenticate", "logout"]
_REQUESTS: dict[AuthCommand, tuple[str, str]] = {
    "tickle": ("POST", "/tickle"),
    "auth_status": ("POST", "/iserver/auth/status"),
    "reauthenticate": ("POST", "/iserver/reauthenticate"),
    "logout": ("POST", "/logout"),
}


def _auth(body: Any) -> dict[str, Any]:
    if isinstance(body, dict) and isinstance(body.get("iserver"), dict):
        return dict(body["iserver"].get("authStatus") or {})
    return body if isinstance(body, dict) else {}


async def auth_command(client: CpClient, account: str, command: AuthCommand) -> AuthStatusReport:
    """Run one session command and report what IBKR said (failures are reports, not raises)."""
    method, path = _REQUESTS[command]
    try:
        body = await client.request(method, path)
    except (NotConnectedError, BrokerRejectedError) as exc:
        code = exc.code if isinstance(exc, BrokerRejectedError) else None
        return AuthStatusReport(
            account=account, source=command, ok=False, http_status=code, message=str(exc)
        )
    auth = _auth(body)
    expires = body.get("ssoExpires") if isinstance(body, dict) else None
    authenticated, connected = bool(auth.get("authenticated")), bool(auth.get("connected"))
    healthy = authenticated and connected and not auth.get("competing")
    return AuthStatusReport(
        account=account,
        source=command,
        ok=healthy if command in ("tickle", "auth_status") else True,
        authenticated=authenticated,
        connected=connected,
        competing=bool(auth.get("competing")),
        sso_expires_s=int(expires) // 1000 if isinstance(expires, int) else None,
        http_status=200,
        message=str(
            auth.get("message") or body.get("message", "") if isinstance(body, dict) else ""
        ),
    )


async def open_brokerage_session(client: CpClient) -> None:
    """``POST /iserver/auth/ssodh/init`` (hosted Web API): open the brokerage session behind
    ``/iserver``; on OAuth its first signed request also acquires the live session token."""
    try:
        body = await client.request(
            "POST", "/iserver/auth/ssodh/init", json={"publish": True, "compete": True}
        )
    except BrokerRejectedError as exc:
        raise NotConnectedError(f"brokerage session not opened: {exc}") from None
    auth = _auth(body)
    if auth.get("authenticated") is False:
        reason = auth.get("message") or "not authenticated"
        raise NotConnectedError(f"brokerage session not opened: {reason}")


async def check_egress(
    client: CpClient, account: str, expected: tuple[str, ...]
) -> tuple[EgressReport, NotConnectedError | None]:
    """Compare the IP ``/sso/validate`` reports with the expected static IPs; with the failure
    that prevented reading it, if any (proxy down, source refused). A check that could not run
    is ``unknown``, never a mismatch."""
    observed: str | None = None
    failure: NotConnectedError | None = None
    why: str | None = None
    try:
        body = await client.request("GET", "/sso/validate")
        observed = str(body.get("IP")) if isinstance(body, dict) and body.get("IP") else None
    except NotConnectedError as exc:
        failure, why = exc, str(exc)
    except BrokerRejectedError as exc:
        why = str(exc)
    verdict = egress_verdict(observed, expected, source="IBKR (/sso/validate)", failure=why)
    return verdict.report(account, "rest", observed, expected), failure
