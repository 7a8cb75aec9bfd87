"""The order-router as a ``Component``: consumers in, the desk and the relay in between.

Start order matters: the router claims its accounts first (another router holding one stops
it: exit 2). Then the link to IBKR is opened in the background while the journal is replayed
(the socket, the API handshake and IBKR's initial sync overlap the replay), but nothing the
link reports is acted on before the replay is over: its callbacks wait for it, so the first
reconcile, and every order sent, happen with every order the router ever meant to send known.
Each (re)connect learns the login's accounts and runs reconcile before anything held is sent.
Commands are consumed once the journal is replayed: orders that arrive while the link is down
are held. Without an allow-list the router cannot know its other accounts before IBKR names
them: a command for an account it does not know yet waits (uncommitted, in Kafka) until the
first connect says whose it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from sluice_bus import Bus, Consumer, ConsumerOptions, Message
from sluice_order_router.broker_pnl import PnlRelay
from sluice_order_router.broker_truth import TruthReporter
from sluice_order_router.cancels import KillScope
from sluice_order_router.claims import AccountClaims
from sluice_order_router.domain.accounts import Accounts
from sluice_order_router.domain.claims import conflict_line
from sluice_order_router.domain.guards import account_mode, refused_accounts
from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_order_router.heartbeat import Heartbeat
from sluice_order_router.history import HistoryDesk
from sluice_order_router.journal import replay_journal
from sluice_order_router.metrics import RouterMetrics
from sluice_order_router.orders import MAX_IN_FLIGHT, OrderDesk
from sluice_order_router.ports import BrokerGateway, EgressNoted, PnlStreamed
from sluice_order_router.publisher import Publisher
from sluice_order_router.quotes import QuoteRelay
from sluice_proto import ApprovedOrder, BrokerPnl, utc_now
from sluice_proto.history import HistoryRequest
from sluice_proto.market_data import MdRequest
from sluice_proto.orders import AmendOrder, CancelAll, CancelOrder
from sluice_proto.session import AccountClaim, ConnectionReport, SessionCommand
from sluice_proto.topics import (
    MD_HISTORY_REQUESTS,
    MD_REQUESTS,
    ORDERS_APPROVED,
    SESSION_COMMANDS,
)
from sluice_runtime.config import ConfigError, Problem

log = logging.getLogger(__name__)

_UP = frozenset({"connected", "restored_data_lost", "restored_data_kept"})
_DATA_LOST = frozenset({"connected", "restored_data_lost"})

Handle = Callable[[Any], Awaitable[None]]
"""What the router does with one command type."""


class RouterService:
    """Everything between the bus and one ``BrokerGateway`` (one login, its accounts)."""

    name = "order-router"

    def __init__(
        self,
        bus: Bus,
        gateway: BrokerGateway,
        *,
        read_only: bool = False,
        heartbeat_s: float | None = None,
        kill_scope: KillScope = "all",
        truth_s: float | None = None,
        accounts: Accounts | None = None,
        router_id: str | None = None,
        claim_lease_s: float = 10.0,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        """``heartbeat_s``: publish a ``RouterHeartbeat`` (and renew the claims) that often
        (None: never); ``kill_scope``: what a ``CancelAll`` cancels (``cancels.py``);
        ``truth_s``: publish IBKR's truth of the account that often and after each connect
        (None: never); ``accounts``: default account and allow-list (default: the gateway's
        account, every account of the login); ``router_id``: this router's identity (default:
        the default account), its consumer groups and claims; ``claim_lease_s``: how long a
        claim outlives the last heartbeat; ``max_in_flight``: orders placed at once (their
        write-ahead durable, IBKR's answer awaited; ``orders.py``)."""
        self._bus = bus
        self._gateway = gateway
        self.account = gateway.account
        self.accounts = accounts or Accounts(
            default=gateway.account, mode=account_mode(gateway.account) or "paper"
        )
        self.router_id = router_id or self.account
        self.instance_id = uuid.uuid4().hex[:12]
        self.claims = AccountClaims(
            bus, self.router_id, self.instance_id, claim_lease_s, on_lost=self._lost
        )
        self.orders = TrackedOrders()
        self.metrics = RouterMetrics(self.account, self.orders, gateway)
        self._publish = Publisher(
            bus, self.account, self.metrics.published, accounts=lambda: self.accounts.trading
        )
        self.desk = OrderDesk(
            gateway, self._publish, self.orders, accounts=self.accounts, read_only=read_only,
            kill_scope=kill_scope, max_in_flight=max_in_flight,
        )  # fmt: skip
        self.quotes = QuoteRelay(gateway, self._publish)
        self.history = HistoryDesk(gateway, self._publish)
        self._consumers: list[Consumer] = []
        self._connecting: asyncio.Task[None] | None = None
        self._learned = asyncio.Event()  # IBKR named the login's accounts
        self._heartbeat = (
            Heartbeat(
                self._publish,
                gateway,
                instance_id=self.instance_id,
                held=lambda: len(self.orders.pending()),
                every_s=heartbeat_s,
                renew=self.claims.renew,
            )
            if heartbeat_s
            else None
        )
        self._truth = (
            TruthReporter(
                gateway, self._publish, every_s=truth_s, accounts=lambda: self.accounts.trading
            )
            if truth_s
            else None
        )
        # Command type -> handler; a command type not named here is ignored.
        self._commands: dict[type[Any], Handle] = {
            ApprovedOrder: self.desk.approved,
            CancelOrder: self._cancel,
            CancelAll: self._cancel,
            AmendOrder: self._amend,
        }
        self._replayed = asyncio.Event()
        gateway.set_callbacks(
            self._after_replay(self.desk.update),
            self._after_replay(self._on_connection),
            self.quotes.tick,
            self.quotes.refused,
        )
        self._pnl = PnlRelay(self._publish)
        if isinstance(gateway, PnlStreamed):
            gateway.set_pnl_callback(self._on_pnl)

    def _after_replay(self, callback: Callable[[Any], Awaitable[None]]) -> Handle:
        """``callback``, held back until the journal is replayed (in the order raised)."""

        async def gated(argument: Any) -> None:
            await self._replayed.wait()
            await callback(argument)

        return gated

    async def start(self) -> None:
        configured = self.accounts.configured
        conflicts = await self.claims.claim(configured)
        if conflicts:
            now = utc_now()
            raise ConfigError(
                [
                    Problem(self._variable(account), f"refusing to start: {conflict_line(c, now)}")
                    for account, c in conflicts.items()
                ]
            )
        self._connecting = asyncio.create_task(self._gateway.connect(), name="ibkr-connect")
        # the login's order ids are one sequence: the accounts this router served before count
        # before IBKR names them again
        earlier = self.claims.earlier - configured
        high_water = await replay_journal(self._bus, configured, self.orders, ids_of=earlier)
        self._gateway.protect_order_ids(high_water)
        self._replayed.set()
        # The groups are joined together, each under this router's name (static membership):
        # one restarted after a crash takes its old place at once instead of waiting out the
        # dead member's session.
        mine = self.router_id
        joins = [
            # its own group: each router reads every command and keeps its accounts' (claims
            # make sure no other router has them)
            self._bus.consume(
                [ORDERS_APPROVED], group=f"order-router.{mine}", handler=self._on_command,
                options=ConsumerOptions(instance=f"order-router.{mine}"),
            ),
            self._bus.consume(
                [SESSION_COMMANDS], group=f"order-router.session.{mine}",
                handler=self._on_session,
                options=ConsumerOptions(instance=f"order-router.session.{mine}"),
            ),
            # every instance replays the requests: what is wanted is the latest per instrument
            self._bus.consume(
                [MD_REQUESTS], group=f"order-router.md.{self.instance_id}", handler=self._on_md
            ),
            # one group for every router: each request is answered once; expired ones are
            # skipped
            self._bus.consume(
                [MD_HISTORY_REQUESTS], group="order-router.history", handler=self._on_history,
                options=ConsumerOptions(instance=f"order-router.history.{mine}"),
            ),
        ]  # fmt: skip
        self._consumers.extend(await asyncio.gather(*joins))
        if self._heartbeat is not None:
            self._heartbeat.start()
        if self._truth is not None:
            self._truth.start()

    async def stop(self) -> None:
        if self._heartbeat is not None:
            await self._heartbeat.stop()
        if self._truth is not None:
            await self._truth.stop()
        for consumer in self._consumers:
            await consumer.stop()
        self._consumers.clear()
        await self.history.close()
        await self._pnl.close()
        try:
            await self.claims.release()
        except Exception as exc:  # the bus is down: the claims lapse with their lease
            log.warning("claims not released (%s): they lapse with their lease", exc)
        await self.desk.close()
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        await self._gateway.close()

    @property
    def gateway(self) -> BrokerGateway:
        """The IBKR adapter this router drives."""
        return self._gateway

    def readiness(self) -> tuple[bool, str]:
        gateway = self._gateway
        egress = f"; {gateway.egress_note}" if isinstance(gateway, EgressNoted) else ""
        if gateway.connected:
            return True, f"IBKR {gateway.path} link up{egress}"
        return False, f"IBKR {gateway.path} link down ({len(self.orders.pending())} held){egress}"

    async def _on_command(self, message: Message[msgspec.Struct]) -> None:
        handle = self._commands.get(type(message.event))
        if handle is None:
            return
        account = getattr(message.event, "account", "")
        accounts = self.accounts
        if not accounts.allowed and accounts.managed is None and not accounts.serves(account):
            await self._learned.wait()  # whose it is is known at the first connect
        await handle(message.event)

    async def _cancel(self, command: CancelOrder | CancelAll) -> None:
        if self.accounts.serves(command.account):
            await self.desk.cancels.handle(command)

    async def _amend(self, command: AmendOrder) -> None:
        if self.accounts.serves(command.account):
            await self.desk.amend(command)

    async def _on_session(self, message: Message[SessionCommand]) -> None:
        # One login, one session: the keeper commands it per account alike, so one account's
        # commands drive it; every account gets the answers (``Publisher.report``).
        command = message.event
        if command.account != self.accounts.leader:
            return
        if command.command == "reconcile":
            await self.desk.reconcile()
            return
        report = await self._gateway.session_command(command.command)
        if report is not None:
            await self._publish.report(report)

    async def _on_md(self, message: Message[MdRequest]) -> None:
        await self.quotes.request(message.event)

    async def _on_history(self, message: Message[HistoryRequest]) -> None:
        await self.history.request(message.event)

    async def _on_connection(self, report: ConnectionReport) -> None:
        await self._learn_accounts()  # the gateway names them even in an outage (1100)
        if isinstance(self._gateway, PnlStreamed):
            await self._gateway.watch_pnl(self.accounts.trading)
        held = len(self.orders.pending())
        if report.status in _UP:
            log.info("IBKR %s (%d orders held); reconciling", report.status, held)
        await self._publish.report(msgspec.structs.replace(report, held_orders=held))
        if report.status in _UP:
            await self.desk.reconcile()
            if self._truth is not None:
                self._truth.connected()
        if report.status in _DATA_LOST:
            await self.quotes.resubscribe()
        elif report.status in _UP:
            await self.quotes.resume()

    async def _learn_accounts(self) -> None:
        """Take the login's accounts from IBKR: claim the new ones (without an allow-list),
        fold their journal, refuse the ones that may not trade (one line each)."""
        managed = self._gateway.managed_accounts
        if managed is None:
            return
        first = self.accounts.managed is None
        before = self.accounts.trading
        if not self.accounts.allowed:
            new = set(managed) - self.claims.held - self.accounts.elsewhere
            new -= set(refused_accounts(new, self.accounts.mode))
            conflicts = await self.claims.claim(new)
            now = utc_now()
            for account, claim in conflicts.items():
                self.accounts.elsewhere.add(account)
                log.warning("not serving %s: %s", account, conflict_line(claim, now))
            fresh = new - set(conflicts)
            if fresh:
                high_water = await replay_journal(self._bus, fresh, self.orders)
                self._gateway.protect_order_ids(high_water)
        for account, why in self.accounts.learn(managed).items():
            log.error("refusing to trade %s: %s", account, why)
        self._learned.set()
        if first or self.accounts.trading != before:
            log.info("serving accounts %s", ", ".join(sorted(self.accounts.trading)) or "none")

    async def _on_pnl(self, pnl: BrokerPnl) -> None:
        # an account lost to another router (``_lost``) stays watched until the next
        # connection report: its figures stop here at once
        if pnl.account in self.accounts.trading:
            await self._pnl(pnl)

    def _lost(self, taken: dict[str, AccountClaim]) -> None:
        """Accounts another router claimed while this one could not renew: stop serving them."""
        now = utc_now()
        for account, claim in taken.items():
            self.accounts.elsewhere.add(account)
            log.error("no longer serving %s: %s", account, conflict_line(claim, now))

    def _variable(self, account: str) -> str:
        return "IBKR_ACCOUNT" if account == self.accounts.default else "IBKR_ACCOUNTS"
