"""Risk settings from the environment, and the limits file they point at."""

from __future__ import annotations

import json
import tomllib
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BeforeValidator, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import NoDecode

from sluice_risk.domain.deferrals import DeferralPolicy
from sluice_risk.domain.limits import LimitBook, LimitsConfig
from sluice_runtime.config import SluiceSettings


def _account_list(value: object) -> object:
    """``IBKR_ACCOUNTS=DU1,DU2`` (commas or spaces) -> a tuple of account ids."""
    if isinstance(value, str):
        return tuple(value.replace(",", " ").split())
    return value


class RiskSettings(SluiceSettings):
    """``SLUICE_RISK_*`` variables; limit defaults may also come from the environment."""

    limits_file: Path | None = Field(
        None,
        validation_alias="SLUICE_RISK_LIMITS_FILE",
        json_schema_extra={"expects": "a path to a .toml, .json, .yaml or .yml limits file"},
    )
    limit_defaults: dict[str, Any] = Field(
        default_factory=dict,
        validation_alias="SLUICE_RISK_LIMITS",
        json_schema_extra={"expects": 'a JSON object of limits, e.g. {"max_order_quantity": 500}'},
    )
    default_account: str | None = Field(None, validation_alias="SLUICE_RISK_DEFAULT_ACCOUNT")
    ibkr_account: str | None = Field(None, validation_alias="IBKR_ACCOUNT")
    ibkr_accounts: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_account_list)] = Field(
        (),
        validation_alias="IBKR_ACCOUNTS",
        json_schema_extra={"expects": "account ids separated by commas, e.g. DU1,DU2"},
    )
    """The allow-list: signals for any other account are refused (empty: no list)."""
    admin_token: SecretStr | None = Field(None, validation_alias="SLUICE_RISK_ADMIN_TOKEN")
    group: str = Field("sluice-risk", validation_alias="SLUICE_RISK_GROUP")
    start_at: Literal["earliest", "latest"] = Field(
        "earliest",
        validation_alias="SLUICE_RISK_START_AT",
        json_schema_extra={"expects": "earliest or latest"},
    )
    """Where a risk group that never committed starts reading signals: ``earliest`` loses
    nothing published before its first start; ``latest`` ignores what is already there."""
    trading_day_tz: str = Field("America/New_York", validation_alias="SLUICE_RISK_TRADING_DAY_TZ")
    mark_interval_s: float = Field(5.0, gt=0, validation_alias="SLUICE_RISK_MARK_INTERVAL_S")
    quote_wait_s: float = Field(2.0, ge=0, validation_alias="SLUICE_RISK_QUOTE_WAIT_S")
    release_quote_wait_s: float = Field(
        30.0, ge=0, validation_alias="SLUICE_RISK_RELEASE_QUOTE_WAIT_S"
    )
    ttl_market_s: float = Field(30.0, gt=0, validation_alias="SLUICE_RISK_TTL_MARKET_S")
    ttl_day_max_s: float = Field(8 * 3600.0, gt=0, validation_alias="SLUICE_RISK_TTL_DAY_MAX_S")
    ttl_gtc_s: float = Field(7 * 86400.0, gt=0, validation_alias="SLUICE_RISK_TTL_GTC_S")
    session_close: time = Field(
        time(16, 0),
        validation_alias="SLUICE_RISK_SESSION_CLOSE",
        json_schema_extra={"expects": "a time of day HH:MM in SLUICE_RISK_TRADING_DAY_TZ"},
    )
    commit: Literal["outbox", "transaction"] = Field(
        "outbox",
        validation_alias="SLUICE_RISK_COMMIT",
        json_schema_extra={"expects": "outbox or transaction"},
    )
    """How a batch of decisions becomes durable with its offsets: ``outbox`` (an outbox record,
    then the outputs, then the offsets; settled after a crash) or ``transaction`` (one Kafka
    transaction per batch, slower). Both give one decision per signal (docs/risk.md)."""
    quote_idle_s: float = Field(300.0, gt=0, validation_alias="SLUICE_RISK_QUOTE_IDLE_S")
    """How long risk keeps a market-data subscription it no longer needs (no signal judged on
    the quote, no position or working order to mark) before unsubscribing, to free the line."""

    def deferral_policy(self) -> DeferralPolicy:
        """How long signals wait for a first quote and live unsent by default."""
        return DeferralPolicy(
            quote_wait=timedelta(seconds=self.quote_wait_s),
            release_quote_wait=timedelta(seconds=self.release_quote_wait_s),
            market_ttl=timedelta(seconds=self.ttl_market_s),
            day_ttl=timedelta(seconds=self.ttl_day_max_s),
            gtc_ttl=timedelta(seconds=self.ttl_gtc_s),
            session_close=self.session_close,
            zone=self.trading_day_tz,
        )

    @model_validator(mode="after")
    def _limits_are_valid(self) -> RiskSettings:
        try:
            LimitBook(self.limits())
        except (OSError, ValueError) as exc:
            detail = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
            raise ValueError(
                f"risk limits (SLUICE_RISK_LIMITS_FILE, SLUICE_RISK_LIMITS): {detail}"
            ) from None
        return self

    def allowed_accounts(self, default: str | None) -> frozenset[str]:
        """The allow-list with the default account in it; empty when none is given."""
        if not self.ibkr_accounts:
            return frozenset()
        return frozenset({*self.ibkr_accounts, *([default] if default else [])})

    def limits(self) -> LimitsConfig:
        """The limits file (if any) with the environment's defaults on top of its ``defaults``.

        The default account is the file's, else ``SLUICE_RISK_DEFAULT_ACCOUNT``, else
        ``IBKR_ACCOUNT``.
        """
        raw = load_limits_file(self.limits_file) if self.limits_file is not None else {}
        raw["defaults"] = {**raw.get("defaults", {}), **self.limit_defaults}
        raw.setdefault("default_account", self.default_account or self.ibkr_account)
        return LimitsConfig.model_validate(raw)


def load_limits_file(path: Path) -> dict[str, Any]:
    """The file's content as a dict, parsed by its suffix."""
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        data: Any = tomllib.loads(text)
    elif suffix == ".json":
        data = json.loads(text)
    elif suffix in (".yaml", ".yml"):
        data = yaml.safe_load(text) or {}
    else:
        raise ValueError(f"{path}: limits file must end in .toml, .json, .yaml or .yml")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: limits file must hold a table/object at the top")
    return data


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']} ({exc.error_count()} problem(s))"
