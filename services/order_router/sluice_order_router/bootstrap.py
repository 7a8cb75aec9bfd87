"""Composition root: settings and a bus in, the router ``Component`` out (it serves no routes).

The paper/live guards run here, before anything connects: each disagreement is one line on
stderr and the router exits with status 2. (The egress topology was checked with the settings.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sluice_bus import Bus
from sluice_order_router.config import RouterSettings
from sluice_order_router.domain.accounts import Accounts
from sluice_order_router.domain.backoff import JitteredBackoff
from sluice_order_router.domain.guards import GuardError, check_guards
from sluice_order_router.ports import BrokerGateway
from sluice_order_router.publisher import Publisher
from sluice_order_router.service import RouterService
from sluice_proto.orders import ReplyPromptAudit
from sluice_runtime.component import Assembly
from sluice_runtime.config import ConfigError, Problem, exit_config_error

if TYPE_CHECKING:
    from sluice_order_router.adapters.rest.oauth import OAuthCredentials
    from sluice_order_router.adapters.rest.settings import RestSettings


def accounts_of(settings: RouterSettings) -> Accounts:
    """The default account, the allow-list and the trading mode they must agree with."""
    return Accounts(
        default=settings.ibkr_account,
        mode=settings.trading_mode,
        allowed=settings.allowed_accounts,
    )


def reports_publisher(settings: RouterSettings, bus: Bus, accounts: Accounts | None) -> Publisher:
    """Where the adapters' own session reports go: once per account that trades (the router's
    ``accounts``; None: the default account only)."""
    if accounts is None:
        return Publisher(bus, settings.ibkr_account)
    served = accounts
    return Publisher(bus, settings.ibkr_account, accounts=lambda: served.trading)


def socket_gateway(
    settings: RouterSettings, bus: Bus, accounts: Accounts | None = None
) -> BrokerGateway:
    """The IB Gateway / TWS adapter behind its egress gate (the echo-URL check)."""
    from sluice_order_router.adapters.egress_gate import EgressGate  # noqa: PLC0415
    from sluice_order_router.adapters.socket.gateway import (  # noqa: PLC0415  # ib_async only here
        SocketGateway,
        SocketOptions,
    )

    bind = str(settings.ibkr_bind_address) if settings.ibkr_bind_address else None
    echo = None
    if url := settings.egress_echo_url:
        from sluice_order_router.adapters.echo import EchoCheck  # noqa: PLC0415  # httpx

        echo = EchoCheck(url, bind_address=bind, timeout_s=settings.timeout_s)
    inner = SocketGateway(
        SocketOptions(
            host=settings.ibkr_host,
            port=settings.ibkr_port,
            account=settings.ibkr_account,
            client_id=settings.ibkr_client_id,
            client_id_pool=settings.ibkr_client_id_pool,
            bind_address=bind,
            pacing_msgs_per_s=settings.ibkr_pacing_msgs_per_s,
            connect_timeout_s=settings.ibkr_connect_timeout_s,
            ack_timeout_s=settings.ibkr_ack_timeout_s,
            backoff=JitteredBackoff(settings.reconnect_initial_s, settings.reconnect_max_s),
        )
    )
    return EgressGate(
        inner,
        echo=echo,
        expected=settings.expected_egress_ips,
        every_s=settings.egress_check_s,
        on_report=reports_publisher(settings, bus, accounts).report,
        backoff=JitteredBackoff(settings.reconnect_initial_s, settings.reconnect_max_s),
    )


def rest_gateway(
    settings: RouterSettings, bus: Bus, accounts: Accounts | None = None
) -> BrokerGateway:
    """The Client Portal adapter; its audit events and session reports go to the bus."""
    from sluice_order_router.adapters.rest.gateway import RestGateway  # noqa: PLC0415

    publisher = reports_publisher(settings, bus, accounts)

    async def audit(event: ReplyPromptAudit) -> None:
        await publisher.orders([event])

    rest = settings.rest_settings()
    gateway = RestGateway(
        rest,
        settings.ibkr_account,
        on_audit=audit,
        on_session_report=publisher.report,
        oauth=oauth_credentials(rest) if settings.ibkr_api == "webapi" else None,
    )
    return cast(BrokerGateway, gateway)


def oauth_credentials(rest: RestSettings) -> OAuthCredentials | None:
    """The Web API's OAuth credentials when ``IBKR_OAUTH_DIR`` is set; exit 2 naming each bad
    file (never its content)."""
    from sluice_order_router.adapters.rest.oauth import (  # noqa: PLC0415
        OAuthConfigError,
        load_credentials,
    )

    if rest.oauth_dir is None:
        return None
    try:
        return load_credentials(rest.oauth_dir, rest.oauth_realm)
    except OAuthConfigError as exc:
        exit_config_error(ConfigError([Problem("IBKR_OAUTH_DIR", p) for p in exc.problems]))


def build(settings: RouterSettings, bus: Bus) -> Assembly[RouterService]:
    """The router for the configured IBKR path, or exit 2 if paper/live disagree."""
    try:
        check_guards(settings.guard_input())
    except GuardError as exc:
        where = "TRADING_MODE/IBKR_PORT/IBKR_ACCOUNT(S)"
        exit_config_error(
            ConfigError([Problem(where, f"refusing to start: {p}") for p in exc.problems])
        )
    accounts = accounts_of(settings)
    if settings.ibkr_api == "socket":
        gateway = socket_gateway(settings, bus, accounts)
    else:
        gateway = rest_gateway(settings, bus, accounts)
    router = RouterService(
        bus, gateway, read_only=settings.ibkr_read_only, heartbeat_s=settings.heartbeat_s,
        kill_scope=settings.kill_scope, truth_s=settings.broker_truth_s or None,
        accounts=accounts, router_id=settings.identity, claim_lease_s=settings.claim_lease_s,
        max_in_flight=settings.max_in_flight,
    )  # fmt: skip
    return Assembly(router, metrics=router.metrics)
