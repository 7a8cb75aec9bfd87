"""Session-keeper settings from the environment (``SLUICE_SESSION_*`` plus the shared IBKR ones)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_settings import SettingsConfigDict

from sluice_proto.session import ApiPath
from sluice_runtime.config import SluiceSettings
from sluice_session_keeper.domain import KeeperPolicy, ResetCalendar, WindowSpec
from sluice_session_keeper.domain.windows import SUNDAY

WEEKLY_TOKEN_ZONE = "America/New_York"  # IBKR invalidates the weekly token Sunday 01:00 ET


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


Zone = Annotated[
    str,
    AfterValidator(_zone),
    Field(json_schema_extra={"expects": "an IANA zone, e.g. Europe/Zurich"}),
]


def _path(value: object) -> object:
    """``IBKR_API`` as the router reads it: cpgateway and webapi (and the older rest) are the
    REST path's session (tickle, regional reset); socket is IB Gateway's."""
    if isinstance(value, str):
        name = value.strip().lower()
        return "rest" if name in ("cpgateway", "webapi", "rest") else name
    return value


IbkrPath = Annotated[
    ApiPath,
    BeforeValidator(_path),
    Field(json_schema_extra={"expects": "socket, cpgateway or webapi (rest means cpgateway)"}),
]
Seconds = Annotated[float, Field(gt=0, json_schema_extra={"expects": "a number of seconds > 0"})]
Minutes = Annotated[float, Field(ge=0, json_schema_extra={"expects": "a number of minutes >= 0"})]


class KeeperSettings(SluiceSettings):
    """Cadences, thresholds and reset windows; field ``x`` reads ``SLUICE_SESSION_X`` (build it
    in code with the field names: ``KeeperSettings(api="socket", tick_s=0.2)``)."""

    model_config = SettingsConfigDict(env_prefix="SLUICE_SESSION_")

    api: IbkrPath = Field("socket", validation_alias="IBKR_API")
    account: str | None = Field(None, validation_alias="IBKR_ACCOUNT")
    tick_s: Seconds = 1.0
    lease_ttl_s: Seconds = 3.0
    tickle_interval_s: Seconds = 60.0
    report_timeout_s: Seconds = 180.0
    expiring_below_s: Annotated[int, Field(ge=0)] = 300
    reclaim_competing: bool = False
    backoff_initial_s: Seconds = 2.0
    backoff_cap_s: Seconds = 300.0
    penalty_box_s: Seconds = 900.0
    egress_check_interval_s: Annotated[float, Field(ge=0)] = 600.0
    reassert_interval_s: Seconds = 30.0
    router_silent_s: Annotated[
        float, Field(ge=0, json_schema_extra={"expects": "a number of seconds >= 0 (0: off)"})
    ] = 5.0
    reset_tz: Zone = "America/New_York"
    reset_time: time = time(1, 0)
    reset_minutes: Minutes = 20.0
    reset_lead_minutes: Minutes = 2.0
    weekly_reset_minutes: Minutes = 30.0
    gateway_restart_time: time | None = None
    gateway_restart_tz: Zone = "America/New_York"
    gateway_restart_minutes: Minutes = 10.0

    def policy(self) -> KeeperPolicy:
        """The state machine's tunables."""
        egress, silent = self.egress_check_interval_s, self.router_silent_s
        return KeeperPolicy(
            path=self.api,
            tickle_interval=timedelta(seconds=self.tickle_interval_s),
            report_timeout=timedelta(seconds=self.report_timeout_s),
            expiring_below_s=self.expiring_below_s,
            reclaim_competing=self.reclaim_competing,
            backoff_initial=timedelta(seconds=self.backoff_initial_s),
            backoff_cap=timedelta(seconds=self.backoff_cap_s),
            penalty_box=timedelta(seconds=self.penalty_box_s),
            egress_check_interval=timedelta(seconds=egress) if egress else None,
            reassert_interval=timedelta(seconds=self.reassert_interval_s),
            router_silent_after=timedelta(seconds=silent) if silent else None,
        )

    def calendar(self) -> ResetCalendar:
        """The windows of this API path: REST has the regional ``/iserver`` reset, the socket
        path the gateway's daily restart (when set); both the weekly token invalidation."""
        lead = timedelta(minutes=self.reset_lead_minutes)
        weekly = WindowSpec(
            "weekly-token-reset",
            time(1, 0),
            ZoneInfo(WEEKLY_TOKEN_ZONE),
            timedelta(minutes=self.weekly_reset_minutes),
            lead,
            weekday=SUNDAY,
        )
        specs = [weekly]
        if self.api == "rest":
            specs.append(
                WindowSpec(
                    "iserver-reset",
                    self.reset_time,
                    ZoneInfo(self.reset_tz),
                    timedelta(minutes=self.reset_minutes),
                    lead,
                )
            )
        elif self.gateway_restart_time is not None:
            specs.append(
                WindowSpec(
                    "gateway-restart",
                    self.gateway_restart_time,
                    ZoneInfo(self.gateway_restart_tz),
                    timedelta(minutes=self.gateway_restart_minutes),
                    lead,
                )
            )
        return ResetCalendar(tuple(specs))
