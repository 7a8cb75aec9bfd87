"""The order-router's settings, from the environment (names in docs/order-router.md)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Literal

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr
from pydantic_settings import NoDecode

from sluice_order_router.domain.guards import GuardInput
from sluice_runtime.config import Port, SluiceSettings


def _id_list(value: object) -> object:
    """``IBKR_CLIENT_ID_POOL=11,12,13`` (commas or spaces) → a tuple of ints."""
    if isinstance(value, str):
        return tuple(int(part) for part in value.replace(",", " ").split())
    return value


ClientIds = Annotated[tuple[int, ...], NoDecode, BeforeValidator(_id_list)]


class RouterSettings(SluiceSettings):
    """Everything the router needs to reach one IBKR account safely."""

    trading_mode: Literal["paper", "live"] = Field(
        "paper", json_schema_extra={"expects": "paper or live"}
    )
    enable_live: bool = Field(
        False,
        validation_alias="SLUICE_ENABLE_LIVE",
        json_schema_extra={"expects": "1 to allow TRADING_MODE=live"},
    )
    ibkr_api: Literal["socket", "rest"] = Field(
        "socket", json_schema_extra={"expects": "socket or rest"}
    )
    ibkr_account: str = Field(
        min_length=2, json_schema_extra={"expects": "an IBKR account id, DU... or U..."}
    )
    ibkr_host: str = "127.0.0.1"
    ibkr_port: Port = 4002
    ibkr_client_id: int = Field(1, ge=0, json_schema_extra={"expects": "an integer >= 0"})
    ibkr_client_id_pool: ClientIds = Field(
        (), json_schema_extra={"expects": "client ids separated by commas, e.g. 11,12,13"}
    )
    ibkr_read_only: bool = False
    ibkr_bind_address: IPv4Address | IPv6Address | None = Field(
        None, json_schema_extra={"expects": "a local IP address to send from"}
    )
    ibkr_pacing_msgs_per_s: float = Field(
        45.0, gt=0, le=48, json_schema_extra={"expects": "messages per second, 0 < x <= 48"}
    )
    ibkr_connect_timeout_s: float = Field(4.0, gt=0)
    ibkr_ack_timeout_s: float = Field(10.0, gt=0)
    egress_proxy: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("QUOTAGUARDSHIELD_URL", "SLUICE_EGRESS_PROXY_URL"),
        json_schema_extra={"expects": "a socks5h://user:pass@host:port URL"},
    )
    reconnect_initial_s: float = Field(0.5, gt=0, validation_alias="SLUICE_RECONNECT_INITIAL_S")
    reconnect_max_s: float = Field(30.0, gt=0, validation_alias="SLUICE_RECONNECT_MAX_S")

    def guard_input(self) -> GuardInput:
        """What the paper/live guards check (no socket port on the REST path)."""
        return GuardInput(
            mode=self.trading_mode,
            port=self.ibkr_port if self.ibkr_api == "socket" else None,
            account=self.ibkr_account,
            live_enabled=self.enable_live,
            api=self.ibkr_api,
            proxy_configured=self.egress_proxy is not None,
        )
