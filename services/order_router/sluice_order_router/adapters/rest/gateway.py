"""``BrokerGateway`` over the Client Portal Web API (the router's REST path).

Fails closed: orders are refused (``NotConnectedError``, so the application layer holds them)
unless the session is up AND IBKR sees the expected egress IP. Market data, order updates,
fills and PnL come over the WebSocket (``stream.py``), through the same door; after every
(re)open of the socket a REST reconcile reads the order and trade lists, so nothing is missed
across a gap. While the socket is down the keeper loop reads those lists every poll.

The session comes up only through ``establish`` (egress check, accounts, order-list
pre-flight), which ends with the ``connected`` report the application layer answers with
reconcile and the release of held orders, the sequence the socket path runs on reconnect. So
whatever finds the session back (the keeper loop, a tickle or auth status that says healthy
again, a reauthenticate, a new OAuth live session token after a lapse) runs ``establish``
rather than marking the session up, and whatever finds it gone reports it down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Any, cast, get_args

from sluice_order_router.domain.backoff import JitteredBackoff
from sluice_order_router.domain.broker import BrokerOrder, BrokerSnapshot
from sluice_order_router.ports import (
    BrokerRejectedError,
    NotConnectedError,
    OnConnection,
    OnOrderUpdate,
    OnPnl,
    OnQuoteRefused,
    OnTick,
    one_contract,
)
from sluice_proto import (
    ApprovedOrder,
    BrokerPnl,
    BrokerTruth,
    Instrument,
    ReplyPromptAudit,
    SweptOrder,
)
from sluice_proto.history import Bar, HistoryRequest
from sluice_proto.session import (
    ApiPath,
    AuthStatusReport,
    ConnectionReport,
    ConnectionStatus,
    EgressReport,
)

from . import orders, parsing, secdef
from .client import CpClient
from .errors import EgressMismatchError, ProxyDownError, SourceRefusedError
from .feed import StreamFeed, broker_pnl
from .history import fetch_bars
from .limiter import IBKR_LIMITS, SSO_VALIDATE, Limit, SharedLimiter
from .oauth import OAuthCredentials
from .prompts import ReplyPolicy
from .quotes import QuoteBook
from .session import AuthCommand, auth_command, check_egress, open_brokerage_session
from .settings import RestSettings
from .stream import CpStream, StreamTiming
from .truth import truth as broker_truth
from .updates import UpdateDiffer

log = logging.getLogger(__name__)
OnSessionReport = Callable[[AuthStatusReport | EgressReport], Awaitable[None]]


async def _ignore(_: Any) -> None:
    return None


class RestGateway:
    """The accounts of one login over the Client Portal (``account`` is the default one);
    ``connect`` runs the egress self-check first.

    With ``oauth`` (IBKR's hosted Web API) every request is OAuth-signed and ``connect`` first
    opens the brokerage session (``ssodh/init``), which acquires the live session token.
    """

    path: ApiPath = "rest"

    def __init__(
        self,
        settings: RestSettings,
        account: str,
        *,
        on_audit: Callable[[ReplyPromptAudit], Awaitable[None]] = _ignore,
        on_session_report: OnSessionReport = _ignore,
        limits: dict[str, Limit] | None = None,
        oauth: OAuthCredentials | None = None,
    ) -> None:
        self.account = account
        self.settings = settings
        self._oauth = oauth is not None
        limiter = SharedLimiter(limits, settings.rate_headroom)
        self.client = CpClient(settings, limiter, oauth, on_token=self._new_token)
        self.pacing = self.client.limiter.pacing
        validate = (limits or IBKR_LIMITS).get(SSO_VALIDATE)
        self._egress_reuse_s = validate.per_s / validate.rate if validate else 0.0
        self._egress_passed: tuple[float, EgressReport] | None = None
        """When the last egress check passed, and its report."""
        self._policy = ReplyPolicy(frozenset(settings.reply_allow))
        self._on_audit, self._on_report = on_audit, on_session_report
        self._on_update: OnOrderUpdate = _ignore
        self._on_connection: OnConnection = _ignore
        self._quotes = QuoteBook()
        self._differ = UpdateDiffer()
        self.feed = StreamFeed(self._quotes, self._differ)
        """The WebSocket's topics as events; ``feed.pnl`` holds the last account PnL."""
        self._on_pnl: OnPnl = _ignore
        self._pnl_accounts: frozenset[str] = frozenset()
        """The accounts whose PnL is wanted (``watch_pnl``): ``spl`` carries the login's all."""
        self._ids: dict[str, str] = {}
        self._accounts: dict[str, str] = {}  # cOID -> its account (a cancel names it)
        self.managed_accounts: tuple[str, ...] | None = None
        self._session_up = self._egress_ok = False
        self._up = asyncio.Event()
        self.stream = CpStream(
            self.client,
            self._up,
            on_message=self.feed,
            on_open=self._catch_up,
            timing=StreamTiming(settings.ws_tic_s, settings.ws_smd_renew_s, settings.ws_silent_s),
            backoff=JitteredBackoff(settings.reconnect_initial_s, settings.reconnect_max_s),
            oauth_token=oauth.access_token if oauth is not None else None,
        )
        self._keeper: asyncio.Task[None] | None = None
        self._establishing = asyncio.Lock()  # the keeper loop and a session command may race
        self._wake = asyncio.Event()  # cuts the keeper's sleep short: try (or poll) now
        self._backoff = JitteredBackoff(settings.reconnect_initial_s, settings.reconnect_max_s)
        self._last_report: tuple[str, str] | None = None

    @property
    def connected(self) -> bool:
        return self._session_up and self._egress_ok

    def set_callbacks(
        self,
        on_update: OnOrderUpdate,
        on_connection: OnConnection,
        on_tick: OnTick,
        on_refused: OnQuoteRefused | None = None,
    ) -> None:
        # on_refused stays unused: the Client Portal refuses a stream only in the contract
        # lookup, which ``subscribe_quotes`` raises at once
        self._on_update, self._on_connection = on_update, on_connection
        self.feed.on_tick, self.feed.on_update = on_tick, on_update

    def set_pnl_callback(self, on_pnl: OnPnl) -> None:
        async def watched(pnl: BrokerPnl) -> None:  # spl streams every account of the login
            if pnl.account in self._pnl_accounts:
                await on_pnl(pnl)

        self._on_pnl = on_pnl
        self.feed.on_pnl = watched

    async def watch_pnl(self, accounts: Collection[str]) -> None:
        wanted = frozenset(accounts)
        new, self._pnl_accounts = wanted - self._pnl_accounts, wanted
        # spl rows may come before the router knows its accounts: the latest row goes out now
        for key, figures in list(self.feed.pnl.items()):
            pnl = broker_pnl(key, figures)
            if pnl.account in new:
                await self._on_pnl(pnl)

    async def connect(self) -> None:
        """Return once the session is up and egress verified; keeps the link up until close."""
        if self._keeper is None:
            self._keeper = asyncio.create_task(self._keep_up(), name="cp-keeper")
        await self._up.wait()

    async def establish(self) -> None:
        """One attempt: (OAuth: brokerage session), egress check, ``/iserver/accounts``,
        order-list pre-flight (or raise)."""
        try:
            if self._oauth:
                await open_brokerage_session(self.client)
            report, failure = await self._check_egress(reuse=True)
            if failure is not None:
                raise failure
            if not report.ok:
                raise EgressMismatchError(f"trading disabled: {report.message}")
            body = await self.client.request("GET", "/iserver/accounts")
            self.managed_accounts = parsing.accounts(body)
            self._differ.prime(await self.snapshot())
        except NotConnectedError as exc:
            await self._down(exc)
            raise
        self._session_up = True
        self._up.set()
        self.stream.start()
        self._wake.set()  # the keeper may be sleeping off a failed attempt: poll again now
        await self._report("connected", "session up, egress verified")

    async def close(self) -> None:
        await self.stream.stop()
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        self._session_up = False
        self._up.clear()
        await self.client.close()

    async def qualify(self, instrument: Instrument) -> Instrument:
        if instrument.con_id is not None:
            return instrument
        return one_contract(instrument, await secdef.candidates(self.client, instrument))

    def protect_order_ids(self, high_water: int) -> None:
        """Nothing to protect: the Client Portal assigns order ids itself."""

    def reserve_order_id(self) -> None:
        return None

    async def place(
        self, order: ApprovedOrder, instrument: Instrument, order_id: int | None = None
    ) -> BrokerOrder:
        self._require_trading()
        con_id = (await self.qualify(instrument)).con_id
        assert con_id is not None
        self._accounts[order.client_order_id] = order.account
        placed = await orders.place(self.client, self._policy, order, con_id, self._on_audit)
        self._ids[order.client_order_id] = str(placed.broker_order_id)
        return placed

    async def place_bracket(
        self, legs: list[ApprovedOrder], instrument: Instrument, order_ids: list[int | None]
    ) -> list[BrokerOrder | BrokerRejectedError]:
        self._require_trading()
        con_id = (await self.qualify(instrument)).con_id
        assert con_id is not None
        placed = await orders.place_bracket(self.client, self._policy, legs, con_id, self._on_audit)
        for leg in placed:
            if isinstance(leg, BrokerOrder):
                self._ids[leg.client_order_id] = str(leg.broker_order_id)
        return placed

    async def cancel(self, client_order_id: str) -> None:
        # Cancels pass even when the egress check failed: reducing risk is always allowed.
        broker_id = await self._broker_id(client_order_id)
        account = self._accounts.get(client_order_id, self.account)
        await orders.cancel(self.client, account, broker_id)

    async def amend(self, order: ApprovedOrder, instrument: Instrument) -> BrokerOrder:
        self._require_trading()
        broker_id = await self._broker_id(order.client_order_id)
        con_id = (await self.qualify(instrument)).con_id
        assert con_id is not None
        return await orders.modify(
            self.client, self._policy, order, con_id, broker_order_id=broker_id,
            on_audit=self._on_audit,
        )  # fmt: skip

    async def _broker_id(self, client_order_id: str) -> str:
        """IBKR's order id of one of our orders (looked up by ``cOID`` when not known)."""
        broker_id = self._ids.get(client_order_id)
        if broker_id is None:
            known = (await self.snapshot()).orders.get(client_order_id)
            if known is None:
                raise BrokerRejectedError(None, f"no IBKR order with cOID {client_order_id}")
            broker_id = str(known.broker_order_id)
        return broker_id

    async def cancel_all(self, account: str) -> list[SweptOrder]:
        return await orders.cancel_every_open(self.client, account)

    async def snapshot(self) -> BrokerSnapshot:
        snap, accounts = await orders.snapshot(self.client)
        self._ids.update({ref: str(o.broker_order_id) for ref, o in snap.orders.items()})
        self._accounts.update(accounts)
        return snap

    async def truth(self, account: str) -> BrokerTruth:
        if not self._session_up:
            raise NotConnectedError("Client Portal session is not up")
        return await broker_truth(self.client, account)

    async def subscribe_quotes(self, instrument: Instrument) -> None:
        # streams stay under the instrument asked for (its key), with the conId IBKR has
        con_id = (await self.qualify(instrument)).con_id
        subscribed = self._quotes.add(Instrument(**{**_fields(instrument), "con_id": con_id}))
        if subscribed is not None:
            await self.stream.subscribe(subscribed)

    async def unsubscribe_quotes(self, instrument: Instrument) -> None:
        for con_id in self._quotes.remove(instrument):
            await self.stream.unsubscribe(con_id)

    async def history(self, request: HistoryRequest) -> list[Bar]:
        if not self._session_up:
            raise NotConnectedError("Client Portal session is not up")
        con_id = (await self.qualify(request.instrument)).con_id
        assert con_id is not None
        return await fetch_bars(self.client, request, con_id)

    async def session_command(self, command: str) -> AuthStatusReport | EgressReport | None:
        if command == "reconnect":
            await self._down(NotConnectedError("reconnect asked by the session-keeper"))
            self._wake.set()  # the keeper loop establishes the session again, now
            return None
        if command == "check_egress":
            return await self._verify_egress(reuse=True)
        if command not in get_args(AuthCommand):
            return None
        report = await auth_command(self.client, self.account, cast(AuthCommand, command))
        if command == "logout" or not report.ok:
            why = "logged out" if command == "logout" else f"{command}: {_unhealthy(report)}"
            await self._down(NotConnectedError(why))
        elif not self._session_up:  # healthy again (or reauthenticated): the one way up
            with contextlib.suppress(NotConnectedError):  # reported; the keeper retries
                await self._bring_up()
        return report

    def _require_trading(self) -> None:
        if not self._egress_ok:
            raise EgressMismatchError("trading disabled: egress IP not verified")
        if not self._session_up:
            raise NotConnectedError("Client Portal session is not up")

    async def _bring_up(self) -> None:
        """``establish`` unless the session is up (one attempt at a time)."""
        async with self._establishing:
            if not self._session_up:
                await self.establish()

    async def _verify_egress(self, *, reuse: bool = False) -> EgressReport:
        """An egress check while up: a failure takes the session down, so only ``establish``
        (which checks egress again) can bring trading back."""
        report, failure = await self._check_egress(reuse=reuse)
        if not report.ok and self._session_up:
            await self._down(failure or EgressMismatchError(f"trading disabled: {report.message}"))
        return report

    def _new_token(self) -> None:
        """A new OAuth live session token outside ``establish`` (a cancel, a session command)
        while the session is down: the keeper loop tries it at once instead of backing off."""
        if not self._session_up and not self._establishing.locked():
            self._wake.set()

    async def _check_egress(
        self, *, reuse: bool = False
    ) -> tuple[EgressReport, NotConnectedError | None]:
        """Ask IBKR which IP it sees. With ``reuse``, a check that passed less than one
        ``/sso/validate`` interval ago (IBKR allows one a minute) answers instead: the
        session-keeper's check at start must not spend the slot the router's connect needs."""
        now = asyncio.get_running_loop().time()
        passed = self._egress_passed
        if reuse and passed is not None and now - passed[0] < self._egress_reuse_s:
            await self._on_report(passed[1])
            return passed[1], None
        expected = self.settings.expected_egress_ips
        report, failure = await check_egress(self.client, self.account, expected)
        self._egress_passed = (now, report) if report.ok and failure is None else None
        if not report.ok:
            log.warning("egress check: %s", report.message)
        elif not self._egress_ok:
            log.info("egress check: %s", report.message)
        self._egress_ok = report.ok
        await self._on_report(report)
        return report, failure

    async def _keep_up(self) -> None:
        loop = asyncio.get_running_loop()
        attempt, next_egress = 0, 0.0
        while True:
            if not self._session_up:
                attempt += 1
                with contextlib.suppress(NotConnectedError):
                    await self._bring_up()
                if self._session_up:
                    attempt, next_egress = 0, loop.time() + self.settings.egress_check_s
                    continue
                await self._nap(self._backoff.delay(attempt))
                continue
            await self._nap(self.settings.poll_s)
            if not self._session_up:
                continue
            try:
                if loop.time() >= next_egress:
                    next_egress = loop.time() + self.settings.egress_check_s
                    await self._verify_egress()
                if not self.stream.live:  # the socket pushes fills; without it, read the lists
                    await self._catch_up()
            except NotConnectedError as exc:
                await self._down(exc)

    async def _catch_up(self) -> None:
        """The REST reconcile of order updates: what IBKR's lists show that was not reported
        (after every socket open, and each poll while the socket is down)."""
        for update in self._differ.diff(await self.snapshot()):
            await self._on_update(update)

    async def _nap(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when woken (the session came up, or may have)."""
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow close()'s cancel
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    async def _down(self, exc: NotConnectedError) -> None:
        self._session_up = False
        self._up.clear()
        status: ConnectionStatus = "disconnected"
        if isinstance(exc, ProxyDownError):
            status = "proxy_down"
        elif isinstance(exc, SourceRefusedError | EgressMismatchError):
            status = "refused"
        await self._report(status, str(exc))

    async def _report(self, status: ConnectionStatus, message: str) -> None:
        if (status, message) == self._last_report:
            return  # a retry loop must not flood the keeper with the same news
        self._last_report = (status, message)
        await self._on_connection(
            ConnectionReport(account=self.account, path="rest", status=status, message=message)
        )


def _unhealthy(report: AuthStatusReport) -> str:
    """Why a session command's answer means the session is not usable."""
    if report.message:
        return report.message
    if report.competing:
        return "competing session"
    return "not authenticated" if not report.authenticated else "no brokerage session"


def _fields(instrument: Instrument) -> dict[str, Any]:
    return {f: getattr(instrument, f) for f in instrument.__struct_fields__}
