"""All of Sluice in one process: the four services and a simulated IB Gateway.

This is the embedded default behind ``make demo`` and ``sluice up``: the same components the
standalone services run, on the in-memory bus, trading against the TWS simulator over a real
loopback socket through the real ib_async client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sluice_market_data.bootstrap import build as build_market_data
from sluice_market_data.config import MarketDataSettings
from sluice_order_router.bootstrap import build as build_router
from sluice_order_router.config import RouterSettings
from sluice_risk.bootstrap import build as build_risk
from sluice_risk.config import RiskSettings
from sluice_runtime.buses import settings_bus
from sluice_runtime.config import SluiceSettings
from sluice_runtime.embedded import EmbeddedStack
from sluice_session_keeper.bootstrap import build as build_keeper
from sluice_session_keeper.config import KeeperSettings
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer


@dataclass(frozen=True, slots=True)
class StackConfig:
    """What the embedded stack trades on and how fast the simulated market moves."""

    account: str = "DU1234567"
    seed: int = 7
    quote_interval_s: float = 0.2
    http_port: int | None = None
    """First of four consecutive HTTP ports in compose's order (market-data, risk,
    session-keeper, order-router: 8081-8084 there); None serves no HTTP."""
    sim_port: int = 0
    """The TWS simulator's API port (0: any free port)."""
    risk_limits: dict[str, Any] | None = None
    bus: SluiceSettings | None = None
    """The bus settings of every service (``SLUICE_KAFKA_BOOTSTRAP`` runs them on Kafka,
    ``SLUICE_PARTITIONS``); None: the in-memory bus with default partitions."""


class LocalStack:
    """The TWS simulator plus the four services on one bus (one ``MemoryBroker`` or Kafka)."""

    def __init__(self, config: StackConfig | None = None) -> None:
        self.config = config or StackConfig()
        self.tws = TwsServer(
            TwsConfig(
                port=self.config.sim_port,
                seed=self.config.seed,
                accounts=(self.config.account,),
                quote_interval=self.config.quote_interval_s,
            )
        )
        self.control = TwsControl(self.tws)
        self.services = EmbeddedStack(bus=self.config.bus)
        self.broker = self.services.broker
        self.operator = settings_bus(self.services.bus_settings, "operator", self.broker)
        """The bus an operator or a strategy would use (demo signals, kill switch)."""

    async def start(self) -> None:
        """Start the simulated gateway, then the services in dependency order."""
        await self.tws.start()
        account, http = self.config.account, self.config.http_port

        def port(offset: int) -> int | None:
            return None if http is None else http + offset

        self.services.add(
            "market-data",
            build_market_data,
            MarketDataSettings(conflate_ms=50, stale_after_s=5.0),
            http_port=port(0),
        )
        self.services.add(
            "session-keeper",
            build_keeper,
            KeeperSettings(api="socket", account=account, tick_s=0.2),
            http_port=port(2),
        )
        self.services.add(
            "risk",
            build_risk,
            RiskSettings(
                default_account=account,
                limit_defaults=self.config.risk_limits or {},
            ),
            http_port=port(1),
        )
        self.services.add(
            "order-router",
            build_router,
            RouterSettings(
                trading_mode="paper",
                ibkr_api="socket",
                ibkr_account=account,
                ibkr_host="127.0.0.1",
                ibkr_port=self.tws.port,
                ibkr_client_id=1,
            ),
            http_port=port(3),
        )
        await self.operator.start()
        await self.services.start()

    async def stop(self) -> None:
        """Stop the services (reverse order), then the gateway."""
        await self.services.stop()
        await self.operator.stop()
        await self.tws.stop()

    async def __aenter__(self) -> LocalStack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
