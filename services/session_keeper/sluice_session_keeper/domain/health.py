"""What one router report says about the session: a state, a reason and the fix to try."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sluice_proto.session import (
    ApiPath,
    AuthStatusReport,
    ConnectionReport,
    ConnectionStatus,
    RouterHeartbeat,
    SessionCommandName,
    SessionStateName,
)


@dataclass(frozen=True, slots=True)
class Health:
    """The session as the latest report describes it.

    ``recovery`` is the command that may bring it back (sent with backoff); ``penalty`` means
    IBKR rate-limited us and nothing may be sent until its penalty box is over.
    """

    state: SessionStateName
    reason: str
    recovery: SessionCommandName | None = None
    penalty: bool = False

    @property
    def healthy(self) -> bool:
        """True when the report alone would allow trading."""
        return self.state == "UP"


UNKNOWN = Health("UNKNOWN", "no report from the order-router yet", "auth_status")
ROUTER_BACK = Health("UNKNOWN", "the order-router is back; waiting for its IBKR link")
"""After a silence: what the router said before may not hold for the process now running."""
AWAITING_AUTH = Health(
    "UNKNOWN", "Client Portal transport connected; no auth status yet", "auth_status"
)

_CONNECTION: dict[ConnectionStatus, tuple[SessionStateName, str, SessionCommandName | None]] = {
    "connected": ("UP", "connected to IBKR", None),
    "restored_data_kept": ("UP", "connectivity restored, data kept (1102)", None),
    "restored_data_lost": ("UP", "connectivity restored, market data lost (1101)", None),
    # The gateway reconnects to IBKR by itself; reconnecting our socket would not help.
    "lost": ("DEGRADED", "the gateway lost its connection to IBKR (1100)", None),
    "disconnected": ("DOWN", "the order-router is disconnected from IBKR", "reconnect"),
    "client_id_in_use": ("DOWN", "client id already in use (326)", "reconnect"),
    "refused": ("DOWN", "the gateway refused the connection", "reconnect"),
    "proxy_down": ("DOWN", "the egress proxy is unreachable", "reconnect"),
}

# 401: not authenticated; 400 "no bridge": no brokerage session. Both need a re-login.
_REAUTH_HTTP = frozenset({400, 401})
_RATE_LIMITED = 429


def _detailed(reason: str, message: str) -> str:
    return f"{reason}: {message}" if message else reason


def from_connection(report: ConnectionReport) -> Health:
    """Health from a socket (or REST transport) connectivity report."""
    state, reason, recovery = _CONNECTION[report.status]
    if report.status == "client_id_in_use" and report.client_id is not None:
        reason = f"client id {report.client_id} already in use (326)"
    return Health(state, _detailed(reason, report.message) if state != "UP" else reason, recovery)


def router_back(path: ApiPath) -> Health:
    """After a silence; on the REST path an auth status tells whether the session is up."""
    return replace(ROUTER_BACK, recovery="auth_status") if path == "rest" else ROUTER_BACK


def from_heartbeat(heartbeat: RouterHeartbeat) -> Health:
    """What a heartbeat tells after a silence: a socket link that is up trades again."""
    if heartbeat.link_up and heartbeat.path == "socket":
        return Health("UP", "the order-router is back and its IBKR link is up")
    return router_back(heartbeat.path)


def silent_router(heard_at: datetime, bound: timedelta) -> Health:
    """The router has sent nothing for longer than ``bound``: taken as gone."""
    since = heard_at.isoformat(timespec="seconds")
    reason = (
        f"no heartbeat from the order-router for over {bound.total_seconds():g} s "
        f"(last heard {since}); trading halted until it is back"
    )
    return Health("ROUTER_SILENT", reason)


def from_auth(report: AuthStatusReport, expiring_below_s: int, reclaim_competing: bool) -> Health:
    """Health from a Client Portal tickle / auth-status / reauthenticate result."""
    if not report.ok:
        status = report.http_status
        if status == _RATE_LIMITED:
            return Health(
                "DOWN",
                "IBKR rate-limited the session calls (429); waiting out the penalty box",
                "auth_status",
                penalty=True,
            )
        reason = _detailed(f"{report.source} failed (HTTP {status})", report.message)
        return Health("DOWN", reason, "reauthenticate" if status in _REAUTH_HTTP else "auth_status")
    if report.competing:
        recovery: SessionCommandName | None = "reauthenticate" if reclaim_competing else None
        return Health("COMPETING", "another login holds the brokerage session", recovery)
    if not report.authenticated:
        return Health("DOWN", "the session is not authenticated", "reauthenticate")
    if not report.connected:
        return Health("DOWN", "authenticated, but the brokerage is not connected", "reauthenticate")
    if report.sso_expires_s is not None and report.sso_expires_s < expiring_below_s:
        reason = f"the SSO session expires within {expiring_below_s} s; re-authenticating"
        return Health("EXPIRING", reason, "reauthenticate")
    return Health("UP", "authenticated and connected")
