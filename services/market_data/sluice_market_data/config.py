"""Market-data settings from the environment (``SLUICE_MD_*``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sluice_runtime.config import SluiceSettings


class MarketDataSettings(SluiceSettings):
    """Line budget, conflation and staleness; field ``x`` reads ``SLUICE_MD_X``."""

    model_config = SettingsConfigDict(env_prefix="SLUICE_MD_")

    line_budget: Annotated[
        int, Field(ge=1, json_schema_extra={"expects": "the account's market-data lines (>= 1)"})
    ] = 100
    conflate_ms: Annotated[
        int, Field(ge=0, json_schema_extra={"expects": "milliseconds between quotes (>= 0)"})
    ] = 100
    stale_after_s: Annotated[
        float, Field(gt=0, json_schema_extra={"expects": "seconds without a tick (> 0)"})
    ] = 5.0
    flush_ms: Annotated[
        int, Field(ge=1, json_schema_extra={"expects": "milliseconds between flushes (>= 1)"})
    ] = 20
    history_timeout_s: Annotated[
        float, Field(gt=0, json_schema_extra={"expects": "seconds to wait for bars (> 0)"})
    ] = 30.0
    history_cache_entries: Annotated[
        int, Field(ge=0, json_schema_extra={"expects": "cached requests (>= 0; 0: no cache)"})
    ] = 1000

    @property
    def min_interval(self) -> timedelta:
        """The shortest time between two quotes of one instrument."""
        return timedelta(milliseconds=self.conflate_ms)

    @property
    def stale_after(self) -> timedelta:
        """How long without a tick before a quote is flagged stale."""
        return timedelta(seconds=self.stale_after_s)
