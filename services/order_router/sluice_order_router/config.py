"""The order-router's settings, from the environment (names in docs/order-router.md).

One pass reads every setting, the REST path's included: field errors and the topology's
contradictions (docs/egress.md) are reported together, one line each, and exit 2.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails, InitErrorDetails
from pydantic_settings import NoDecode

from sluice_order_router.adapters.rest.settings import RestSettings
from sluice_order_router.cancels import KillScope
from sluice_order_router.domain.egress import gateway_url_problem, url_host
from sluice_order_router.domain.guards import GuardInput
from sluice_order_router.domain.topology import (
    DEFAULT_BASE_URL,
    OAUTH_FILES,
    PROXY_VARIABLES,
    Topology,
    TopologyInput,
    check_topology,
    topology_of,
)
from sluice_runtime.config import PROBLEM_TYPE, Port, SluiceSettings, config_problem


def _id_list(value: object) -> object:
    """``IBKR_CLIENT_ID_POOL=11,12,13`` (commas or spaces) → a tuple of ints."""
    if isinstance(value, str):
        return tuple(int(part) for part in value.replace(",", " ").split())
    return value


ClientIds = Annotated[tuple[int, ...], NoDecode, BeforeValidator(_id_list)]


def _account_list(value: object) -> object:
    """``IBKR_ACCOUNTS=DU1,DU2`` (commas or spaces) -> a tuple of account ids."""
    if isinstance(value, str):
        return tuple(part for part in value.replace(",", " ").split())
    return value


AccountIds = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_account_list)]


def _echo_url(value: str | None) -> str | None:
    problem = gateway_url_problem(value) if value is not None else None
    if problem is not None:
        raise config_problem(f"the echo URL {problem.replace('/v1/api', '/')}")
    return value


class TopologySettings(RestSettings):
    """The egress topology and the REST settings it judges (a part of ``RouterSettings``)."""

    ibkr_api: Annotated[Topology, BeforeValidator(topology_of)] = Field(
        "socket",
        validation_alias="IBKR_API",
        json_schema_extra={"expects": "socket, cpgateway or webapi (rest means cpgateway)"},
    )
    egress_direct: bool = Field(
        False,
        validation_alias="SLUICE_EGRESS_DIRECT",
        json_schema_extra={"expects": "true when this host leaves from a reserved, registered IP"},
    )
    egress_echo_url: Annotated[str | None, AfterValidator(_echo_url)] = Field(
        None,
        validation_alias="SLUICE_EGRESS_ECHO_URL",
        json_schema_extra={"expects": "an https:// URL that answers with the caller's IP"},
    )
    """E.g. https://api.ipify.org: checked from the socket path's door (plain http only to a
    loopback host, for tests)."""

    def topology_input(self) -> TopologyInput:
        """What ``check_topology`` looks at, the OAuth directory as found on disk."""
        folder = self.oauth_dir
        exists = folder is not None and folder.is_dir()
        missing: tuple[str, ...] = ()
        if folder is not None and exists:
            missing = tuple(name for name in OAUTH_FILES if not (folder / name).is_file())
        return TopologyInput(
            api=self.ibkr_api,
            proxy=self.proxy_url is not None,
            egress_direct=self.egress_direct,
            expected_ip=bool(self.expected_egress_ips),
            base_url_host=url_host(self.base_url) if self.base_url else None,
            oauth_dir=str(folder) if folder is not None else None,
            oauth_dir_exists=exists,
            oauth_missing=missing,
        )


def _topology_errors(data: Any) -> list[InitErrorDetails]:
    """The topology's contradictions, judged even when some of its own fields are invalid
    (those are reported as such; an invalid proxy URL still counts as a proxy configured)."""
    values = dict(data) if isinstance(data, dict) else {}
    try:
        TopologySettings.model_validate(values)
        bad: set[str] = set()
    except ValidationError as exc:
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
    if "IBKR_API" in bad:
        return []
    try:
        parsed = TopologySettings.model_validate({k: v for k, v in values.items() if k not in bad})
    except ValidationError:
        return []
    given = parsed.topology_input()
    if bad & set(PROXY_VARIABLES):
        given = replace(given, proxy=True)
    return [
        InitErrorDetails(type=config_problem(message), loc=(variable,), input=None)
        for variable, message in check_topology(given)
    ]


def _again(error: ErrorDetails) -> InitErrorDetails:
    """A reported error as one to raise again (a written problem keeps its words)."""
    kind = error["type"]
    again = config_problem(error["msg"]) if kind == PROBLEM_TYPE else kind
    return InitErrorDetails(
        type=again, loc=error["loc"], input=error["input"], ctx=error.get("ctx", {})
    )


class RouterSettings(SluiceSettings, TopologySettings):
    """Everything the router needs to reach one IBKR account safely."""

    model_config = SluiceSettings.model_config

    trading_mode: Literal["paper", "live"] = Field(
        "paper", json_schema_extra={"expects": "paper or live"}
    )
    enable_live: bool = Field(
        False,
        validation_alias="SLUICE_ENABLE_LIVE",
        json_schema_extra={"expects": "1 to allow TRADING_MODE=live"},
    )
    ibkr_account: str = Field(
        min_length=2, json_schema_extra={"expects": "an IBKR account id, DU... or U..."}
    )
    ibkr_accounts: AccountIds = Field(
        (), json_schema_extra={"expects": "account ids separated by commas, e.g. DU1,DU2"}
    )
    """The allow-list: the only accounts this router serves (empty: every account the login
    manages). ``IBKR_ACCOUNT`` is the default account and always one of them."""
    router_id: str | None = Field(
        None,
        validation_alias="SLUICE_ROUTER_ID",
        pattern=r"^[A-Za-z0-9._-]+$",
        json_schema_extra={"expects": "letters, digits, '.', '_' or '-' (default IBKR_ACCOUNT)"},
    )
    claim_lease_s: float = Field(
        10.0,
        gt=0,
        validation_alias="SLUICE_ROUTER_CLAIM_LEASE_S",
        json_schema_extra={"expects": "seconds a router's claim on its accounts outlives it, > 0"},
    )
    """How long an account stays claimed after its router's last heartbeat (keep it several
    ``SLUICE_ROUTER_HEARTBEAT_S``)."""
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
    heartbeat_s: float = Field(
        1.0,
        gt=0,
        validation_alias="SLUICE_ROUTER_HEARTBEAT_S",
        json_schema_extra={"expects": "seconds between heartbeats, > 0"},
    )
    """How often the router tells the session-keeper it is alive (keep it well below the
    keeper's ``SLUICE_SESSION_ROUTER_SILENT_S``)."""
    broker_truth_s: float = Field(
        30.0,
        ge=0,
        validation_alias="SLUICE_ROUTER_BROKER_TRUTH_S",
        json_schema_extra={"expects": "seconds between broker-truth reports, >= 0 (0: never)"},
    )
    """How often the router publishes IBKR's positions, open orders and account summary
    (``sluice.broker.truth.v1``); it also does after every (re)connect."""
    max_in_flight: int = Field(
        64,
        ge=1,
        validation_alias="SLUICE_ROUTER_MAX_IN_FLIGHT",
        json_schema_extra={"expects": "orders placed at once, an integer >= 1"},
    )
    """Orders whose write-ahead is durable and whose place (pacer, IBKR's acknowledgement) is
    under way at once; more wait before their write-ahead. Keep it / ``IBKR_PACING_MSGS_PER_S``
    well under ``IBKR_ACK_TIMEOUT_S``: the acknowledgement's clock runs while an order waits in
    the pacer's queue."""
    kill_scope: KillScope = Field(
        "all",
        validation_alias="SLUICE_KILL_SCOPE",
        json_schema_extra={"expects": "all (every open order of the account at IBKR) or own"},
    )

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem_at_once(cls, data: Any, handler: Any) -> Any:
        """Field errors and topology contradictions in one report, not one after the other."""
        errors: list[InitErrorDetails] = []
        settings = None
        try:
            settings = handler(data)
        except ValidationError as exc:
            errors = [_again(error) for error in exc.errors()]
        errors.extend(_topology_errors(data))
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return settings

    def rest_settings(self) -> RestSettings:
        """The REST adapter's options, the base URL resolved for the topology."""
        fields = self.model_dump(include=set(RestSettings.model_fields))
        url = self.base_url or DEFAULT_BASE_URL.get(self.ibkr_api)
        return RestSettings.model_validate({**fields, "base_url": url})

    def guard_input(self) -> GuardInput:
        """What the paper/live guards check (no socket port on the REST path)."""
        return GuardInput(
            mode=self.trading_mode,
            port=self.ibkr_port if self.ibkr_api == "socket" else None,
            account=self.ibkr_account,
            live_enabled=self.enable_live,
            accounts=self.ibkr_accounts,
        )

    @property
    def identity(self) -> str:
        """This router's id: ``SLUICE_ROUTER_ID``, else its default account (one router per
        login, so the default account names the login)."""
        return self.router_id or self.ibkr_account

    @property
    def allowed_accounts(self) -> frozenset[str]:
        """The allow-list with the default account in it; empty when none is given."""
        if not self.ibkr_accounts:
            return frozenset()
        return frozenset((*self.ibkr_accounts, self.ibkr_account))
