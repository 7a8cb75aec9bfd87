"""Builders shared by the session-keeper tests: a fake clock and router reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sluice_proto.session import AuthStatusReport, ConnectionReport, EgressReport, RouterHeartbeat

ACCOUNT = "DU123456"
T0 = datetime(2024, 6, 12, 14, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def connection(status: Any, at: datetime = T0, **fields: Any) -> ConnectionReport:
    values: dict[str, Any] = {"path": "socket"}
    values.update(fields)
    return ConnectionReport(account=ACCOUNT, status=status, ts=at, **values)


def auth(at: datetime = T0, **fields: Any) -> AuthStatusReport:
    values: dict[str, Any] = {"ok": True, "authenticated": True, "connected": True}
    values.update(fields)
    return AuthStatusReport(account=ACCOUNT, source="tickle", ts=at, **values)


def egress(ok: bool, at: datetime = T0) -> EgressReport:
    observed = "203.0.113.7" if ok else "198.51.100.9"
    return EgressReport(
        account=ACCOUNT, ok=ok, observed_ip=observed, expected_ip="203.0.113.7", ts=at
    )


def heartbeat(link_up: bool = True, at: datetime = T0, **fields: Any) -> RouterHeartbeat:
    values: dict[str, Any] = {"path": "socket", "instance_id": "router-1"}
    values.update(fields)
    return RouterHeartbeat(account=ACCOUNT, link_up=link_up, ts=at, **values)
