"""IBKR's hosted Web API for the e2e stack: the Client Portal simulator's ``webapi`` (OAuth
1.0a) mode in the test process, reached by the router only through the Shield stand-in."""

from __future__ import annotations

from decimal import Decimal

from sluice_sim.cp import CpSimulator
from sluice_sim.venue import VenueConfig
from tests.e2e.stack import ServiceStack, StackOptions
from tests.egress.fixtures import SHIELD_IP, SIM_HOST, ShieldProxy, cp_sim_config


class WebApiBroker:
    """The simulator registers only the proxy's outgoing address (``SHIELD_IP``) and is named
    by a host only the proxy resolves; the router signs with credentials the simulator wrote."""

    api = "webapi"

    def __init__(self, options: StackOptions) -> None:
        self.shield = ShieldProxy(options.log_dir)
        self.sim = CpSimulator(
            cp_sim_config(
                mode="webapi",
                venue=VenueConfig(accounts={options.account: Decimal(1_000_000)}),
                tick_interval_s=options.quote_interval_s,
            )
        )
        self._oauth_dir = options.log_dir / "oauth"

    async def start(self) -> None:
        await self.shield.start()
        await self.sim.start()
        self.sim.control.write_credentials(self._oauth_dir)

    async def stop(self) -> None:
        await self.sim.stop()
        self.shield.stop()

    def env(self, service: str) -> dict[str, str]:
        return _ENV.get(service, {}) | (self._router_env() if service == "order-router" else {})

    def orders_with_ref(self, order_ref: str) -> int:
        return self.sim.state.venue.store.orders_with_ref(order_ref)

    def requests_seen(self) -> int:
        """Every API request that reached the simulator, refused ones included."""
        return sum(self.sim.control.counters()["endpoints"].values())

    def _router_env(self) -> dict[str, str]:
        return {
            "IBKR_CP_BASE_URL": self.sim.base_url(SIM_HOST),
            "IBKR_CP_CA_FILE": str(self.sim.cert_path),
            "IBKR_OAUTH_DIR": str(self._oauth_dir),
            "QUOTAGUARDSHIELD_URL": self.shield.url,
            "SLUICE_EXPECTED_EGRESS_IP": SHIELD_IP,
        }


# The router keeps IBKR's real limits (its own process): orders and trades are read at most
# every 5 s, /sso/validate once a minute. Everything below is tuned around that.
_ENV: dict[str, dict[str, str]] = {
    "order-router": {
        "IBKR_CP_POLL_S": "0.2",  # poll as often as the order-list limit lets
        "IBKR_CP_RATE_HEADROOM": "1",  # IBKR's limits exactly: the simulator's are relaxed
    },
    "session-keeper": {
        # Only the router may discover an outage (test_proxy_outage.py): a tickle
        # once at start, and so the router's reports are not expected more often either.
        "SLUICE_SESSION_TICKLE_INTERVAL_S": "600",
        "SLUICE_SESSION_REPORT_TIMEOUT_S": "600",
        # Its periodic egress check (first one at start) would spend the router's one
        # /sso/validate a minute that connecting needs; the router checks on every connect.
        "SLUICE_SESSION_EGRESS_CHECK_INTERVAL_S": "0",
        "SLUICE_SESSION_BACKOFF_INITIAL_S": "0.2",
        "SLUICE_SESSION_BACKOFF_CAP_S": "1",
        # No daily /iserver reset window: a run at 01:00 New York time would hold trading.
        "SLUICE_SESSION_RESET_MINUTES": "0",
        "SLUICE_SESSION_RESET_LEAD_MINUTES": "0",
    },
    "market-data": {"SLUICE_MD_STALE_AFTER_S": "30"},  # a quiet instrument stays fresh
}


WebApiStack = ServiceStack[WebApiBroker]
