"""Everything one simulated Client Portal Gateway holds, and how it is configured."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sluice_sim.venue import PaperVenue, VenueConfig

from .limits import DEFAULT_LIMITS, Limit, RateGate
from .oauth import OAuthServer, OAuthSimConfig
from .oauth_keys import OAuthKeys
from .prompts import PromptBook, PromptRules
from .session import CpSession
from .ws_hub import StreamHub

CP_CLIENT_ID = 2_147_483_647
"""The venue client id of Client Portal orders (the TWS simulator's clients use small ids)."""


@dataclass(frozen=True, slots=True)
class CpSimConfig:
    """How the simulator behaves; defaults follow IBKR's documented behaviour."""

    venue: VenueConfig = field(default_factory=VenueConfig)
    allowlist: frozenset[str] | None = None
    """Caller IPs IBKR has registered; None accepts every caller."""
    limits: dict[str, Limit] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    penalty_s: float = 600.0
    session_ttl_s: float = 86_400.0
    start_authenticated: bool = True
    prompt_rules: PromptRules = field(default_factory=PromptRules)
    hostnames: tuple[str, ...] = ("localhost", "127.0.0.1")
    tick_interval_s: float | None = None
    """Step the venue's quotes this often (None: quotes only move when stepped)."""
    username: str = "sluicesim"
    mode: Literal["gateway", "webapi"] = "gateway"
    """``gateway``: a Client Portal Gateway (SSO session, no request signing). ``webapi``: IBKR's
    hosted Web API: OAuth 1.0a on every request, brokerage session closed until ssodh/init."""
    oauth: OAuthSimConfig = field(default_factory=OAuthSimConfig)
    """Live session token lifetime, timestamp window, consumer key (``webapi`` mode only)."""
    smd_expiry_s: float = 600.0
    """A WebSocket market-data topic ends this long after its ``smd`` (IBKR: 10 minutes since
    April 2026, 15 before); sending it again renews it. Short in tests."""
    ws_heartbeat_s: float = 10.0
    """The WebSocket's ``system`` heartbeat on a socket quiet this long."""


@dataclass(slots=True)
class Fault:
    """Answer the next ``remaining`` matching requests with ``status`` and ``body``."""

    status: int
    remaining: int
    path_prefix: str = ""
    body: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class Counters:
    """What the simulator saw: by endpoint, by answer status and by caller IP."""

    endpoints: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    callers: Counter[str] = field(default_factory=Counter)
    refused_callers: Counter[str] = field(default_factory=Counter)
    oauth_refusals: Counter[str] = field(default_factory=Counter)
    """401s of the ``webapi`` mode, by IBKR error text."""


class CpState:
    """The gateway's mutable state; routes, guards and the control API share one instance."""

    def __init__(
        self,
        config: CpSimConfig,
        clock: Callable[[], float] = time.monotonic,
        oauth_keys: OAuthKeys | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.venue = PaperVenue(config.venue)
        webapi = config.mode == "webapi"
        self.session = CpSession(
            clock, config.session_ttl_s, authenticated=config.start_authenticated and not webapi
        )
        self.oauth = (
            OAuthServer(oauth_keys or OAuthKeys.generate(config.oauth.consumer_key), config.oauth)
            if webapi
            else None
        )
        """The OAuth verifier and token issuer in ``webapi`` mode, else None."""
        self.gate = RateGate(config.limits, config.penalty_s)
        self.prompts = PromptBook(config.venue.seed, config.prompt_rules)
        self.allowlist = config.allowlist
        self.counters = Counters()
        self.faults: list[Fault] = []
        self.scripted_prompts: list[list[str]] = []
        self.accounts_queried = False
        self.orders_preflighted = False
        self.snapshot_preflighted: set[int] = set()
        self.session_token = secrets.token_hex(16)
        """``session`` of ``/tickle``: what authorises a WebSocket."""
        self.streams = StreamHub(self.venue, CP_CLIENT_ID, clock, config.smd_expiry_s)
        """The open WebSockets (``/v1/api/ws``)."""
