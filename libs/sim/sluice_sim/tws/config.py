"""Settings of one simulated IB Gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class TwsConfig:
    """How the simulated gateway behaves; faults can later be changed through the control API."""

    host: str = "127.0.0.1"
    port: int = 4002
    seed: int = 1
    accounts: tuple[str, ...] = ("DU1234567",)
    cash: Decimal = Decimal(1_000_000)
    read_only: bool = False
    pacing_msgs_per_s: int = 50
    trusted_ips: frozenset[str] | None = None  # None: accept any source address
    master_client_id: int | None = None
    max_fill_per_step: Decimal | None = None
    market_data_lines: int | None = None  # streaming reqMktData lines of the user; None: no limit
    quote_interval: float = 0.0  # seconds between quote steps; 0 = only on explicit steps
    restart_at: time | None = None  # daily restart (UTC)
    restart_window: float = 60.0  # seconds the gateway refuses connections while restarting
    farm_status: tuple[tuple[int, str], ...] = field(
        default=(
            (2104, "Market data farm connection is OK:usfarm"),
            (2106, "HMDS data farm connection is OK:ushmds"),
            (2158, "Sec-def data farm connection is OK:secdefnj"),
        )
    )
