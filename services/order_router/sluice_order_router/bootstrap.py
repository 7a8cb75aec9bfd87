"""Composition root: settings and a bus in, the router ``Component`` out (it serves no routes).

The paper/live guards run here, before anything connects: a disagreement exits with
status 2 and a message naming it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sluice_bus import Bus
from sluice_order_router.config import RouterSettings
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


def socket_gateway(settings: RouterSettings) -> BrokerGateway:
    """The IB Gateway / TWS adapter configured from the settings."""
    from sluice_order_router.adapters.socket.gateway import (  # noqa: PLC0415  # ib_async only here
        SocketGateway,
        SocketOptions,
    )

    return SocketGateway(
        SocketOptions(
            host=settings.ibkr_host,
            port=settings.ibkr_port,
            account=settings.ibkr_account,
            client_id=settings.ibkr_client_id,
            client_id_pool=settings.ibkr_client_id_pool,
            bind_address=str(settings.ibkr_bind_address) if settings.ibkr_bind_address else None,
            pacing_msgs_per_s=settings.ibkr_pacing_msgs_per_s,
            connect_timeout_s=settings.ibkr_connect_timeout_s,
            ack_timeout_s=settings.ibkr_ack_timeout_s,
            backoff=JitteredBackoff(settings.reconnect_initial_s, settings.reconnect_max_s),
        )
    )


def rest_gateway(settings: RouterSettings, bus: Bus) -> BrokerGateway:
    """The Client Portal adapter; its audit events and session reports go to the bus."""
    from sluice_order_router.adapters.rest.gateway import RestGateway  # noqa: PLC0415
    from sluice_order_router.adapters.rest.settings import RestSettings  # noqa: PLC0415

    publisher = Publisher(bus, settings.ibkr_account)

    async def audit(event: ReplyPromptAudit) -> None:
        await publisher.orders([event])

    rest = RestSettings()
    gateway = RestGateway(
        rest,
        settings.ibkr_account,
        on_audit=audit,
        on_session_report=publisher.report,
        oauth=oauth_credentials(rest),
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
        exit_config_error(ConfigError([Problem("TRADING_MODE/IBKR_PORT/IBKR_ACCOUNT", str(exc))]))
    if settings.ibkr_api == "socket":
        gateway = socket_gateway(settings)
    else:
        gateway = rest_gateway(settings, bus)
    return Assembly(RouterService(bus, gateway, read_only=settings.ibkr_read_only))
