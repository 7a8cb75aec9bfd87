"""Composition root: settings and a bus in, the session-keeper component and its routes out."""

from __future__ import annotations

from sluice_bus.api import Bus
from sluice_runtime.component import Assembly
from sluice_session_keeper.config import KeeperSettings
from sluice_session_keeper.http import status_router
from sluice_session_keeper.metrics import KeeperMetrics
from sluice_session_keeper.service import SessionKeeper


def build(settings: KeeperSettings, bus: Bus) -> Assembly[SessionKeeper]:
    """The session-keeper for the configured account (others are adopted as they report)."""
    keeper = SessionKeeper(
        bus,
        settings.policy(),
        settings.calendar(),
        accounts=[settings.account] if settings.account else [],
        tick_s=settings.tick_s,
        lease_ttl_s=settings.lease_ttl_s,
    )
    return Assembly(keeper, status_router(keeper), metrics=KeeperMetrics(keeper))
