"""Session keeping: the keeper's verdict, its commands to the router, the router's reports."""

from __future__ import annotations

from typing import Literal

import msgspec

from sluice_proto.common import NonEmpty, UtcDatetime, utc_now

SessionStateName = Literal[
    "UNKNOWN",
    "UP",
    "DEGRADED",
    "DOWN",
    "COMPETING",
    "EXPIRING",
    "RESET_WINDOW",
    "EGRESS_MISMATCH",
    "ROUTER_SILENT",
]
ApiPath = Literal["socket", "rest"]


class SessionState(msgspec.Struct, kw_only=True, tag_field="type", tag="session_state"):
    """``sluice.session.state.v1`` (compacted): may this account trade right now, and why."""

    account: NonEmpty
    state: SessionStateName
    trading_allowed: bool
    reason: str
    path: ApiPath = "socket"
    since: UtcDatetime = msgspec.field(default_factory=utc_now)
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


SessionCommandName = Literal[
    "tickle", "auth_status", "reauthenticate", "reconnect", "logout", "check_egress", "reconcile"
]


class SessionCommand(msgspec.Struct, kw_only=True, tag_field="type", tag="session_command"):
    """Internal ``sluice.session.commands.v1``: the keeper asks the router to act."""

    account: NonEmpty
    command: SessionCommandName
    command_id: NonEmpty
    reason: str = ""
    issued_at: UtcDatetime = msgspec.field(default_factory=utc_now)


ConnectionStatus = Literal[
    "connected",
    "disconnected",
    "lost",
    "restored_data_lost",
    "restored_data_kept",
    "client_id_in_use",
    "refused",
    "proxy_down",
]


class ConnectionReport(msgspec.Struct, kw_only=True, tag_field="type", tag="connection_report"):
    """Internal ``sluice.session.reports.v1``: what the router's link to IBKR is doing."""

    account: NonEmpty
    path: ApiPath
    status: ConnectionStatus
    code: int | None = None
    message: str = ""
    client_id: int | None = None
    held_orders: int = 0
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


class AuthStatusReport(msgspec.Struct, kw_only=True, tag_field="type", tag="auth_status_report"):
    """Internal ``sluice.session.reports.v1``: a Client Portal tickle / auth-status result."""

    account: NonEmpty
    source: Literal["tickle", "auth_status", "reauthenticate", "logout"]
    ok: bool
    authenticated: bool = False
    connected: bool = False
    competing: bool = False
    sso_expires_s: int | None = None
    http_status: int | None = None
    message: str = ""
    command_id: str | None = None
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


EgressStatus = Literal["ok", "mismatch", "unknown", "unchecked"]


class EgressReport(msgspec.Struct, kw_only=True, tag_field="type", tag="egress_report"):
    """Internal ``sluice.session.reports.v1``: the IP IBKR sees versus the expected static IP(s).

    ``ok`` is False when the verdict holds trading. ``status`` tells why: ``mismatch`` (IBKR
    sees another IP), ``unknown`` (the check could not run; holds only while an expected IP is
    configured), ``unchecked`` (this path has no check). ``status`` and ``path`` are absent from
    reports of older routers (then: ``ok`` means ok, else no observed IP means unknown).
    ``expected_ip`` lists the expected IPs separated by ", ".
    """

    account: NonEmpty
    ok: bool
    observed_ip: str | None
    expected_ip: str | None
    message: str = ""
    status: EgressStatus | None = None
    path: ApiPath | None = None
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


class KeeperMark(msgspec.Struct, kw_only=True, tag_field="type", tag="keeper_mark"):
    """Internal ``sluice.session.reports.v1``: a session-keeper instance's own heartbeat.

    Keyed by account, so it shares the partition of that account's reports. Receiving any mark
    in the keepers' shared consumer group proves an instance owns the partition, which is how
    one instance per account is elected active.
    """

    account: NonEmpty
    instance_id: NonEmpty
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


class RouterHeartbeat(msgspec.Struct, kw_only=True, tag_field="type", tag="router_heartbeat"):
    """Internal ``sluice.session.reports.v1``: the order-router is alive (sent every few seconds).

    The session-keeper halts the account (``ROUTER_SILENT``) when these stop; ``link_up`` and
    ``held_orders`` say what the router's link to IBKR is doing right now (``/status``).
    ``instance_id`` changes with every router process.
    """

    account: NonEmpty
    instance_id: NonEmpty
    path: ApiPath
    link_up: bool
    held_orders: int = 0
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)


SessionReport = ConnectionReport | AuthStatusReport | EgressReport | KeeperMark | RouterHeartbeat


class AccountClaim(msgspec.Struct, kw_only=True, tag_field="type", tag="account_claim"):
    """Internal ``sluice.router.claims.v1`` (compacted, keyed by account): a router owns an account.

    Renewed with every router heartbeat; it lapses ``lease_s`` after its ``ts`` (the router
    died), or at once when ``released`` (the router stopped, or gave the account up). No two
    routers (``router_id``) may hold a live claim on one account: the later one refuses to start.
    """

    account: NonEmpty
    router_id: NonEmpty
    instance_id: NonEmpty
    lease_s: float
    released: bool = False
    ts: UtcDatetime = msgspec.field(default_factory=utc_now)
