"""The composition root: settings and a bus in, the risk component and its routes out."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sluice_bus import Bus
from sluice_risk.config import RiskSettings
from sluice_risk.domain.changelog import Changelog
from sluice_risk.domain.engine import RiskEngine
from sluice_risk.domain.limits import LimitBook
from sluice_risk.domain.state import DayOf, RiskState
from sluice_risk.http import risk_routes
from sluice_risk.service import RiskService
from sluice_runtime.component import Assembly


def trading_day(zone: str) -> DayOf:
    """The calendar day in ``zone`` (the daily loss limit resets at its midnight)."""
    tz = ZoneInfo(zone)

    def day_of(ts: datetime) -> date:
        return ts.astimezone(tz).date()

    return day_of


def build(settings: RiskSettings, bus: Bus) -> Assembly[RiskService]:
    """The risk service on ``bus``, with its HTTP routes (positions, PnL, kill switch)."""
    limits = LimitBook(settings.limits())
    state = RiskState(
        limits, trading_day(settings.trading_day_tz), timedelta(seconds=settings.quote_idle_s)
    )
    service = RiskService(
        bus,
        RiskEngine(
            state,
            limits.config.default_account,
            settings.deferral_policy(),
            accounts=settings.allowed_accounts(limits.config.default_account),
        ),
        Changelog(state, settings.mark_interval_s),
        group=settings.group,
        admin_token=settings.admin_token,
        start_at_earliest=settings.start_at == "earliest",
        commit=settings.commit,
    )
    return Assembly(service, risk_routes(service), metrics=service.metrics)
