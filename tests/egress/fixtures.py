"""Real parts for egress tests: the Shield stand-in (a SOCKS5 process) and the CP simulator."""

from __future__ import annotations

import asyncio
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sluice_order_router.adapters.rest import RestGateway, RestSettings
from sluice_order_router.adapters.rest.limiter import IBKR_LIMITS, Limit
from sluice_sim.cp import DEFAULT_LIMITS, CpSimConfig, CpSimulator
from sluice_sim.cp import Limit as SimLimit
from tests.support.net import free_port

SHIELD_IP = "127.0.0.2"
"""The proxy's outgoing address: the 'static IP' registered with IBKR."""
SIM_HOST = "cp.shield.test"
"""A name only the proxy side can resolve."""
ACCOUNT = "DU1234567"

# IBKR's limits, but the per-5s and per-minute endpoints relaxed so a test need not wait.
_RELAXED = {
    "GET /sso/validate": (20, 1.0),
    "GET /iserver/account/orders": (5, 1.0),
    "GET /iserver/account/trades": (5, 1.0),
}
SIM_LIMITS = {**DEFAULT_LIMITS, **{k: SimLimit(*v) for k, v in _RELAXED.items()}}
ROUTER_LIMITS = {**IBKR_LIMITS, **{k: Limit(*v) for k, v in _RELAXED.items()}}


class ShieldProxy:
    """pproxy as its own process: SOCKS5 with username/password, egress bound to SHIELD_IP."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.user = f"shield{secrets.token_hex(4)}"
        self.password = f"pw-{secrets.token_hex(8)}"
        self.log_path = log_dir / "shield.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"socks5h://{self.user}:{self.password}@127.0.0.1:{self.port}"

    async def start(self) -> None:
        script = Path(__file__).with_name("shield_proxy.py")
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(  # noqa: ASYNC220 (starts and returns at once)
                [
                    sys.executable,
                    "-u",
                    str(script),
                    str(self.port),
                    f"{self.user}:{self.password}",
                    SHIELD_IP,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while not self._accepting():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"shield proxy did not start: {self.log_path.read_text()}")
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None

    def seen_destinations(self) -> str:
        """The proxy's own log: which destination names it was asked to connect to."""
        return self.log_path.read_text()

    def _accepting(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0


def cp_sim_config(**overrides: Any) -> CpSimConfig:
    """The CP simulator's settings for egress tests: only the Shield IP registered, the name only
    the proxy resolves in its certificate, limits relaxed (unless told otherwise)."""
    options: dict[str, Any] = {
        "allowlist": frozenset({SHIELD_IP}),
        "hostnames": ("localhost", "127.0.0.1", SIM_HOST),
        "limits": SIM_LIMITS,
        "penalty_s": 30.0,
        **overrides,
    }
    return CpSimConfig(**options)


@asynccontextmanager
async def cp_simulator(**overrides: Any) -> AsyncIterator[CpSimulator]:
    """The CP simulator on loopback with ``cp_sim_config(**overrides)``."""
    sim = CpSimulator(cp_sim_config(**overrides))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def rest_settings(sim: CpSimulator, proxy_url: str | None, **overrides: Any) -> RestSettings:
    """Settings as the environment would give them, pointing at ``sim`` by its proxy-only name."""
    values: dict[str, Any] = {
        "IBKR_CP_BASE_URL": sim.base_url(SIM_HOST if proxy_url else "localhost"),
        "IBKR_CP_CA_FILE": str(sim.cert_path),
        "QUOTAGUARDSHIELD_URL": proxy_url,
        "SLUICE_EXPECTED_EGRESS_IP": SHIELD_IP,
        "IBKR_CP_POLL_S": 0.2,
        "SLUICE_RECONNECT_MAX_S": 0.5,
        **overrides,
    }
    return RestSettings.model_validate({k: v for k, v in values.items() if v is not None})


def gateway(settings: RestSettings, **callbacks: Any) -> RestGateway:
    return RestGateway(settings, ACCOUNT, limits=ROUTER_LIMITS, **callbacks)
