"""Sluice as it is deployed: each of the four services its own OS process on real Kafka, a
simulated IBKR (the ``Broker``) in this process (so tests can inject faults and watch the
venue), and an operator bus that publishes signals and records what comes back."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import httpx

from sluice_bus import ConsumerOptions, Message, make_bus
from sluice_proto import Instrument, MdSubscribe, OrderRejected, Quote, SessionState, Signal
from sluice_proto.topics import (
    MD_QUOTES,
    MD_SUBSCRIPTIONS,
    ORDERS_APPROVED,
    ORDERS_EVENTS,
    SESSION_STATE,
    SIGNALS,
)
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.e2e.processes import ServiceProcess
from tests.support.polling import eventually

STRATEGY = "e2e"
SYMBOLS = ("AAPL", "SPY")
"""Subscribed by the stack at start. MSFT is not: risk subscribes to it when a signal needs
its quote (the first test to trade it, tests/e2e/test_deferrals.py, relies on that)."""
READY_TIMEOUT_S = 120.0
ROUTER_SILENT_S = 3.0
"""The keeper's bound on the router's silence (the router beats every 0.5 s)."""
FINAL = frozenset(
    {
        "order_filled",
        "order_cancelled",
        "order_rejected",
        "order_broker_rejected",
        "order_expired",
        "signal_duplicate",
    }
)


@dataclass(frozen=True, slots=True)
class StackOptions:
    """What one stack runs on; every run gets its own account and consumer groups."""

    bootstrap: str
    log_dir: Path
    otlp_endpoint: str | None = None
    risk_limits: dict[str, Any] = field(default_factory=dict)
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    account: str = field(default_factory=lambda: f"DU{secrets.randbelow(10**7):07d}")
    quote_interval_s: float = 0.2
    log_level: str = "INFO"
    risk_commit: str = "outbox"
    """``SLUICE_RISK_COMMIT`` of the stack's risk (``outbox`` or ``transaction``)."""


@dataclass
class Recorder:
    """Approved orders, order events, session verdicts and quotes, as they arrive."""

    account: str
    messages: list[Message[Any]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    """``time.perf_counter()`` at each message's arrival, parallel to ``messages``."""
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    """Quotes older than this are an earlier stack's, left on the topic."""

    async def __call__(self, message: Message[Any]) -> None:
        self.messages.append(message)
        self.arrived.append(time.perf_counter())

    def order_events(self, client_order_id: str) -> list[Message[Any]]:
        return [
            m
            for m in self.messages
            if m.record.topic in (ORDERS_APPROVED, ORDERS_EVENTS)
            and getattr(m.event, "client_order_id", None) == client_order_id
        ]

    def lifecycle(self, client_order_id: str) -> list[str]:
        """The order's event types, oldest first (``order_submitting``, ``order_filled``...).

        Ordered by when each event was made, not when it arrived: the approval and the order
        events are on two topics, so a fill can arrive before the approval that led to it.
        """
        events = sorted(self.order_events(client_order_id), key=lambda m: _made_at(m.event))
        return [type_tag(m.event) for m in events]

    def rejections(self, client_order_id: str) -> list[OrderRejected]:
        """The order's rejections (by risk or the router)."""
        events = (m.event for m in self.order_events(client_order_id))
        return [e for e in events if isinstance(e, OrderRejected)]

    def sessions(self) -> list[SessionState]:
        """The session-keeper's verdicts on this account, oldest first."""
        return [
            m.event
            for m in self.messages
            if isinstance(m.event, SessionState) and m.event.account == self.account
        ]

    def session(self) -> SessionState | None:
        states = self.sessions()
        return states[-1] if states else None

    def quote(self, symbol: str, instrument: Instrument | None = None) -> Quote | None:
        """The latest two-sided quote of ``symbol`` (of exactly ``instrument``, when given)."""
        quotes = [
            m.event
            for m in self.messages
            if isinstance(m.event, Quote)
            and m.event.ts >= self.since
            and m.event.instrument.symbol == symbol
            and (instrument is None or m.event.instrument.key == instrument.key)
            and m.event.bid is not None
            and m.event.ask is not None
        ]
        return max(quotes, key=lambda q: q.ts) if quotes else None


def _made_at(event: Any) -> datetime:
    """When an order event was made (an approval's ``approved_at``, any other event's ``ts``)."""
    made: datetime = getattr(event, "ts", None) or event.approved_at
    return made


def type_tag(event: Any) -> str:
    return str(type(event).__struct_config__.tag)


class Broker(Protocol):
    """The IBKR side of a stack, run in the test process: a simulator, and what each service
    needs to reach it. Built from the stack's options (its account, log directory...)."""

    api: str
    """``IBKR_API`` of every service."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def env(self, service: str) -> dict[str, str]:
        """What ``service`` (``order-router``, ``session-keeper``...) needs on top of the
        stack's settings; called once the broker has started."""
        ...

    def orders_with_ref(self, order_ref: str) -> int:
        """How many orders the venue holds with this ``orderRef`` (``cOID``)."""
        ...


class TwsBroker:
    """The TWS simulator, reached by the router's socket path."""

    api = "socket"

    def __init__(self, options: StackOptions) -> None:
        self.server = TwsServer(
            TwsConfig(
                port=0,
                seed=11,
                accounts=(options.account,),
                quote_interval=options.quote_interval_s,
            )
        )
        self.control = TwsControl(self.server)

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    def env(self, service: str) -> dict[str, str]:
        if service != "order-router":
            return {}
        return {"IBKR_HOST": "127.0.0.1", "IBKR_PORT": str(self.server.port), "IBKR_CLIENT_ID": "1"}

    def orders_with_ref(self, order_ref: str) -> int:
        return self.control.orders_with_ref(order_ref)


B = TypeVar("B", bound=Broker)


class ServiceStack(Generic[B]):
    """A broker plus the four ``python -m sluice_<service>`` processes."""

    def __init__(self, options: StackOptions, broker: Callable[[StackOptions], B]) -> None:
        self.options = options
        self.account = options.account
        self.broker = broker(options)
        self.operator = make_bus("e2e-strategy", options.bootstrap)
        self.recorder = Recorder(self.account)
        self.http = httpx.AsyncClient()
        self.services: dict[str, ServiceProcess] = {}
        self._run = uuid.uuid4().hex[:8]
        self._exits: dict[str, int] | None = None

    def _env(self) -> dict[str, str]:
        env = {
            "SLUICE_KAFKA_BOOTSTRAP": self.options.bootstrap,
            "SLUICE_LOG_LEVEL": self.options.log_level,
            "IBKR_ACCOUNT": self.account,
            "IBKR_API": self.broker.api,
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # export spans within a fraction of a second
        }
        if self.options.otlp_endpoint:
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = self.options.otlp_endpoint
        return env

    def _processes(self) -> list[ServiceProcess]:
        common, log_dir, env = self._env(), self.options.log_dir, self.broker.env
        return [
            ServiceProcess("market-data", "sluice_market_data", common | {
                "SLUICE_MD_CONFLATE_MS": "50",
            } | env("market-data"), log_dir),
            ServiceProcess("session-keeper", "sluice_session_keeper", common | {
                "SLUICE_SESSION_TICK_S": "0.2",
                "SLUICE_SESSION_ROUTER_SILENT_S": str(ROUTER_SILENT_S),
            } | env("session-keeper"), log_dir),
            ServiceProcess("risk", "sluice_risk", common | {
                "SLUICE_RISK_GROUP": f"sluice-risk.e2e-{self._run}",
                # The session's broker holds earlier tests' signals: this stack's only.
                "SLUICE_RISK_START_AT": "latest",
                "SLUICE_RISK_LIMITS": json.dumps(self.options.risk_limits),
                "SLUICE_RISK_ADMIN_TOKEN": self.options.admin_token,
                "SLUICE_RISK_COMMIT": self.options.risk_commit,
            } | env("risk"), log_dir),
            ServiceProcess("order-router", "sluice_order_router", common | {
                "TRADING_MODE": "paper",
                "SLUICE_RECONNECT_INITIAL_S": "0.2",
                "SLUICE_RECONNECT_MAX_S": "1",
                "SLUICE_ROUTER_HEARTBEAT_S": "0.5",
                "SLUICE_ROUTER_BROKER_TRUTH_S": "0.5",
            } | env("order-router"), log_dir),
        ]  # fmt: skip

    async def start(self) -> None:
        """Start the broker and the four processes, wait until all are ready and trading is
        allowed, and subscribe to quotes of ``SYMBOLS`` until they flow."""
        self.options.log_dir.mkdir(parents=True, exist_ok=True)
        await self.broker.start()
        await self.operator.start()
        await self.operator.consume(
            [ORDERS_APPROVED, ORDERS_EVENTS, SESSION_STATE, MD_QUOTES],
            group=f"e2e-recorder-{self._run}",
            handler=self.recorder,
            options=ConsumerOptions(from_beginning=True),
        )
        for process in self._processes():
            self.services[process.name] = process
            process.start()
        for process in self.services.values():
            await process.wait_ready(self.http, READY_TIMEOUT_S)
        await self.until("trading allowed", self.trading_allowed, 60)
        for symbol in SYMBOLS:
            request = MdSubscribe(subscriber_id=STRATEGY, instrument=Instrument(symbol=symbol))
            await self.operator.publish(MD_SUBSCRIPTIONS, request, key=request.instrument.key)
        await self.until("quotes", lambda: all(self.recorder.quote(s) for s in SYMBOLS), 60)

    async def stop(self) -> dict[str, int]:
        """SIGTERM every process (all at once), then the broker; each process's exit status
        (the same again when called twice)."""
        if self._exits is not None:
            return self._exits
        for process in self.services.values():
            process.terminate()
        running = [p for p in self.services.values() if p.process is not None]
        exits = await asyncio.gather(*(asyncio.to_thread(p.wait_exit) for p in running))
        codes = {p.name: code for p, code in zip(running, exits, strict=True)}
        await self.operator.stop()
        await self.http.aclose()
        await self.broker.stop()
        self._exits = codes
        return codes

    def logs(self) -> str:
        """Every process's recent output, for a failure report."""
        return "\n".join(f"--- {n} ({p.log_path})\n{p.tail()}" for n, p in self.services.items())

    def trading_allowed(self) -> bool:
        state = self.recorder.session()
        return state is not None and state.trading_allowed

    def url(self, service: str, path: str) -> str:
        return f"{self.services[service].url}{path}"

    async def signal(
        self,
        symbol: str,
        side: str,
        quantity: int,
        order_type: str = "MKT",
        limit_price: Decimal | None = None,
        *,
        park: bool = True,
        expires_at: datetime | None = None,
        **fields: Any,
    ) -> Signal:
        """Publish one signal of this run's strategy (the default account) and return it;
        ``fields``: any other of the signal's fields (a derivative's expiry, strike, ...)."""
        signal = Signal(
            signal_id=uuid.uuid4().hex[:12],
            strategy_id=STRATEGY,
            symbol=symbol,
            side=side,  # type: ignore[arg-type]
            quantity=Decimal(quantity),
            order_type=order_type,  # type: ignore[arg-type]
            limit_price=limit_price,
            park=park,
            expires_at=expires_at,
            **fields,
        )
        await self.operator.publish(SIGNALS, signal, key=STRATEGY)
        return signal

    async def send(self, **fields: Any) -> Signal:
        """Publish a signal of this run's strategy with any terms (the default account)."""
        signal = Signal(signal_id=uuid.uuid4().hex[:12], strategy_id=STRATEGY, **fields)
        await self.operator.publish(SIGNALS, signal, key=STRATEGY)
        return signal

    async def exposure(self) -> tuple[Decimal, int]:
        """Risk's gross exposure and open-order count for the stack's account (``/exposure``)."""
        response = await self.http.get(
            self.url("risk", "/exposure"), params={"account": self.account}
        )
        response.raise_for_status()
        body = response.json()
        return Decimal(body["gross_exposure"]), int(body["open_orders"])

    async def held_value(self) -> Decimal:
        """What risk counts for the account's positions: |quantity| x mark (or average cost)."""
        response = await self.http.get(
            self.url("risk", "/positions"), params={"account": self.account}
        )
        response.raise_for_status()
        return sum(
            (
                abs(Decimal(p["quantity"])) * Decimal(p.get("mark_price") or p["avg_cost"])
                for p in response.json()
            ),
            Decimal(0),
        )

    async def outcome(
        self, signal: Signal, *, until: frozenset[str] = FINAL, within_s: float = 30
    ) -> list[str]:
        """Wait until the signal's order reaches one of ``until``; its lifecycle so far."""
        coid = signal.client_order_id
        await self.until(
            f"{coid} to reach one of {sorted(until)}",
            lambda: any(t in until for t in self.recorder.lifecycle(coid)),
            within_s,
        )
        return self.recorder.lifecycle(coid)

    async def quotes_flow(self, instrument: Instrument, within_s: float = 30) -> None:
        """Subscribe to ``instrument`` as a strategy would, and wait for its first quote."""
        request = MdSubscribe(subscriber_id=STRATEGY, instrument=instrument)
        await self.operator.publish(MD_SUBSCRIPTIONS, request, key=instrument.key)

        def quoted() -> bool:
            return self.recorder.quote(instrument.symbol, instrument) is not None

        await self.until(f"quotes of {instrument.key}", quoted, within_s)

    async def until(
        self, what: str, done: Callable[[], bool | Awaitable[bool]], timeout_s: float
    ) -> None:
        """Poll ``done`` (plain or async) until true; fail naming ``what`` on timeout."""
        # every look may ask a service over HTTP: look less often than in-process tests do
        await eventually(done, within=timeout_s, what=what, interval=0.05)


class ProcessStack(ServiceStack[TwsBroker]):
    """The TWS simulator plus the four processes: the socket path."""

    def __init__(self, options: StackOptions) -> None:
        super().__init__(options, TwsBroker)

    @property
    def tws(self) -> TwsServer:
        return self.broker.server

    @property
    def control(self) -> TwsControl:
        return self.broker.control


S = TypeVar("S", bound=ServiceStack[Any])
_UP: list[ServiceStack[Any]] = []


@asynccontextmanager
async def running(stack: S) -> AsyncIterator[S]:
    """The stack started (its logs printed if that fails); stopped with SIGTERM at the end,
    where every process must exit 0.

    One stack at a time: the services' consumer groups have fixed names (``order-router``...),
    so two stacks on one broker would take each other's partitions. A package-scoped stack
    lasts until its package ends, subpackages included: starting another stops it first.
    """
    while _UP:
        await _UP.pop().stop()
    _UP.append(stack)
    try:
        await stack.start()
    except BaseException:
        await stack.stop()
        print(stack.logs())
        raise
    try:
        yield stack
    finally:
        if stack in _UP:
            _UP.remove(stack)
        codes = await stack.stop()
    assert codes == dict.fromkeys(codes, 0), f"unclean exits {codes}:\n{stack.logs()}"
