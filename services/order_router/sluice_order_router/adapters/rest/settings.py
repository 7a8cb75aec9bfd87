"""The REST path's settings: where the Client Portal / Web API is and how we reach it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_REPLY_ALLOW = ("o163", "o354", "o383", "o451")
"""Precautionary prompts the risk service already covers (price band, no market data, size,
value): confirmed automatically. Anything else declines the order."""


def _ids(value: object) -> object:
    if isinstance(value, str):
        return tuple(part for part in value.replace(",", " ").split() if part)
    return value


class RestSettings(BaseSettings):
    """Read from the environment; field ``x`` reads ``X`` unless an alias says otherwise."""

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", frozen=True, populate_by_name=True
    )

    base_url: str = Field("https://localhost:5000/v1/api", validation_alias="IBKR_CP_BASE_URL")
    ca_file: Path | None = Field(None, validation_alias="IBKR_CP_CA_FILE")
    insecure: bool = Field(False, validation_alias="IBKR_CP_INSECURE")
    proxy_url: SecretStr | None = Field(
        None, validation_alias=AliasChoices("QUOTAGUARDSHIELD_URL", "SLUICE_EGRESS_PROXY_URL")
    )
    expected_egress_ip: str | None = Field(None, validation_alias="SLUICE_EXPECTED_EGRESS_IP")
    egress_check_s: float = Field(300.0, gt=0, validation_alias="SLUICE_EGRESS_CHECK_S")
    reply_allow: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_ids)] = Field(
        DEFAULT_REPLY_ALLOW, validation_alias="IBKR_CP_REPLY_ALLOW"
    )
    poll_s: float = Field(5.0, gt=0, validation_alias="IBKR_CP_POLL_S")
    timeout_s: float = Field(10.0, gt=0, validation_alias="IBKR_CP_TIMEOUT_S")
    rate_headroom: float = Field(0.9, gt=0, le=1, validation_alias="IBKR_CP_RATE_HEADROOM")
    """Fraction of each IBKR limit we use, so network jitter never lands us in the box."""
    penalty_s: float = Field(900.0, gt=0, validation_alias="IBKR_CP_PENALTY_S")
    """How long to stay quiet after a 429 that names no Retry-After (IBKR: 10-15 min)."""
    reconnect_initial_s: float = Field(0.5, gt=0, validation_alias="SLUICE_RECONNECT_INITIAL_S")
    reconnect_max_s: float = Field(30.0, gt=0, validation_alias="SLUICE_RECONNECT_MAX_S")
    oauth_dir: Path | None = Field(None, validation_alias="IBKR_OAUTH_DIR")
    """The hosted Web API's OAuth 1.0a credentials, one file each (docs/oauth.md)."""
    oauth_realm: str = Field("limited_poa", validation_alias="IBKR_OAUTH_REALM")
    """``limited_poa``; ``test_realm`` for IBKR's test consumer ``TESTCONS``."""
