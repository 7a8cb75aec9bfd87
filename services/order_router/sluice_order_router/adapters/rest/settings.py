"""The REST path's settings: where the Client Portal / Web API is and how we reach it.

A plain model, not read from the environment by itself: the router's ``RouterSettings`` inherits
these fields, so they are read and validated in the same pass as every other setting (a bad
value exits 2), and ``RouterSettings.rest_settings()`` hands the adapter this small object.
Fields are snake_case; the environment names are their aliases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
)
from pydantic_settings import NoDecode

from sluice_order_router.domain.egress import (
    EgressConfigError,
    expected_ips,
    gateway_url_problem,
    parse_proxy,
)
from sluice_runtime.config import config_problem

DEFAULT_REPLY_ALLOW = ("o163", "o354", "o383", "o451")
"""Precautionary prompts the risk service already covers (price band, no market data, size,
value): confirmed automatically. Anything else declines the order."""


def _ids(value: object) -> object:
    if isinstance(value, str):
        return tuple(part for part in value.replace(",", " ").split() if part)
    return value


def _base_url(value: str | None) -> str | None:
    problem = gateway_url_problem(value) if value is not None else None
    if problem is not None:
        raise config_problem(f"the gateway URL {problem}")
    return value


def _proxy(value: SecretStr | None) -> SecretStr | None:
    if value is not None:
        try:
            parse_proxy(value.get_secret_value())
        except EgressConfigError as exc:
            raise config_problem(str(exc)) from None
    return value


ExpectedIps = Annotated[tuple[str, ...], NoDecode, BeforeValidator(expected_ips)]


class RestSettings(BaseModel):
    """How the router reaches IBKR over HTTP; ``base_url`` None means the topology's default."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, validate_by_name=True, validate_by_alias=True
    )

    base_url: Annotated[str | None, AfterValidator(_base_url)] = Field(
        None,
        validation_alias="IBKR_CP_BASE_URL",
        json_schema_extra={"expects": "an https://host:port/v1/api URL"},
    )
    ca_file: Path | None = Field(None, validation_alias="IBKR_CP_CA_FILE")
    insecure: bool = Field(False, validation_alias="IBKR_CP_INSECURE")
    proxy_url: Annotated[SecretStr | None, AfterValidator(_proxy)] = Field(
        None,
        validation_alias=AliasChoices("QUOTAGUARDSHIELD_URL", "SLUICE_EGRESS_PROXY_URL"),
        json_schema_extra={"expects": "a socks5h://user:pass@host:port URL"},
    )
    expected_egress_ips: ExpectedIps = Field(
        (),
        validation_alias="SLUICE_EXPECTED_EGRESS_IP",
        json_schema_extra={"expects": "IP addresses separated by commas or spaces"},
    )
    egress_check_s: float = Field(300.0, gt=0, validation_alias="SLUICE_EGRESS_CHECK_S")
    reply_allow: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_ids)] = Field(
        DEFAULT_REPLY_ALLOW, validation_alias="IBKR_CP_REPLY_ALLOW"
    )
    poll_s: float = Field(5.0, gt=0, validation_alias="IBKR_CP_POLL_S")
    """The keeper loop's beat: session health, and the order lists while the WebSocket is down."""
    ws_tic_s: float = Field(60.0, gt=0, validation_alias="IBKR_WS_TIC_S")
    """IBKR's ``tic`` heartbeat on the WebSocket (about once a minute keeps the session)."""
    ws_smd_renew_s: float = Field(300.0, gt=0, validation_alias="IBKR_WS_SMD_RENEW_S")
    """Renew every market-data topic this often: IBKR ends them after 10 minutes (15 before
    April 2026)."""
    ws_silent_s: float = Field(90.0, gt=0, validation_alias="IBKR_WS_SILENT_S")
    """A WebSocket that said nothing this long (not even the ``tic`` answer) is reopened."""
    timeout_s: float = Field(10.0, gt=0, validation_alias="IBKR_CP_TIMEOUT_S")
    rate_headroom: float = Field(0.9, gt=0, le=1, validation_alias="IBKR_CP_RATE_HEADROOM")
    """Fraction of each IBKR limit we use, so network jitter never lands us in the box."""
    penalty_s: float = Field(900.0, gt=0, validation_alias="IBKR_CP_PENALTY_S")
    """How long to stay quiet after a 429 that names no Retry-After (IBKR: 10-15 min)."""
    reconnect_initial_s: float = Field(0.5, gt=0, validation_alias="SLUICE_RECONNECT_INITIAL_S")
    reconnect_max_s: float = Field(30.0, gt=0, validation_alias="SLUICE_RECONNECT_MAX_S")
    oauth_dir: Path | None = Field(None, validation_alias="IBKR_OAUTH_DIR")
    """The hosted Web API's OAuth 1.0a credentials, one file each (docs/oauth.md); in
    Kubernetes a read-only Secret mount."""
    oauth_realm: str = Field("limited_poa", validation_alias="IBKR_OAUTH_REALM")
    """``limited_poa``; ``test_realm`` for IBKR's test consumer ``TESTCONS``."""
