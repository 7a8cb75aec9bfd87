"""``BrokerGateway`` on IB Gateway / TWS through ib_async 2.1.0."""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ib_async import Contract, Order, PnL, Ticker, Trade
from ib_async import Fill as IbFill

from sluice_order_router.adapters.socket import mapping, truth
from sluice_order_router.adapters.socket.handshake import Endpoint
from sluice_order_router.adapters.socket.history import request_bars
from sluice_order_router.adapters.socket.link import Link
from sluice_order_router.adapters.socket.pacing import Pacer, SendGuard
from sluice_order_router.adapters.socket.relay import Relay
from sluice_order_router.adapters.socket.transport import SluiceIB
from sluice_order_router.domain.backoff import JitteredBackoff
from sluice_order_router.domain.broker import BrokerOrder, BrokerSnapshot
from sluice_order_router.domain.client_ids import ClientIdPool
from sluice_order_router.domain.expiry import send_deadline
from sluice_order_router.domain.md_refusals import md_refusal
from sluice_order_router.domain.order_ids import OrderIdLease, OrderIds
from sluice_order_router.ports import (
    BrokerRejectedError,
    ExpiredUnsentError,
    NotConnectedError,
    NotSentError,
    OnConnection,
    OnOrderUpdate,
    OnPnl,
    OnQuoteRefused,
    OnTick,
    OrderInDoubtError,
    OrderUpdate,
    one_contract,
)
from sluice_proto import ApprovedOrder, BrokerTruth, Instrument, SweptOrder
from sluice_proto.history import Bar, HistoryRequest
from sluice_proto.session import (
    ApiPath,
    AuthStatusReport,
    ConnectionReport,
    ConnectionStatus,
    EgressReport,
)

log = logging.getLogger(__name__)

_PENDING = frozenset({"", "PendingSubmit", "ApiPending"})


@dataclass(frozen=True, slots=True)
class _Stream:
    """One reqMktData: IBKR answers a refusal later, as an error with its request id."""

    instrument: Instrument
    contract: Contract
    req_id: int


@dataclass(frozen=True, slots=True)
class _Amend:
    """A modify on its way: the terms sent, and the trade's status before it (ib_async reads
    IBKR's refusal of a modify as a cancellation, which is undone to this)."""

    terms: Order
    status: str
    answer: asyncio.Future[None]


@dataclass(frozen=True, slots=True)
class SocketOptions:
    """How the socket adapter connects and paces."""

    host: str
    port: int
    account: str
    client_id: int
    client_id_pool: tuple[int, ...] = ()
    bind_address: str | None = None
    pacing_msgs_per_s: float = 45.0
    connect_timeout_s: float = 4.0
    ack_timeout_s: float = 10.0
    backoff: JitteredBackoff = field(default_factory=JitteredBackoff)


class SocketGateway:
    """Orders, snapshots and quotes over one paced, self-healing socket."""

    path: ApiPath = "socket"

    def __init__(self, options: SocketOptions) -> None:
        self.account = options.account
        self._options = options
        self.pacer = Pacer(options.pacing_msgs_per_s)
        self.pacing = self.pacer.pacing
        self.ib = SluiceIB(self.pacer, options.bind_address)
        self._ids = OrderIds()
        self.ib.paced.start_ids = self._start_ids
        self._relay = Relay()
        pool = ClientIdPool(options.client_id, options.client_id_pool)
        endpoint = Endpoint(options.host, options.port, options.account, options.connect_timeout_s)
        self._link = Link(self.ib, endpoint, pool, options.backoff, self._on_link)
        self._streams: dict[str, _Stream] = {}
        # ib_async keys the open-orders and positions requests by name, not id: a second one
        # while the first is out would orphan the first's future. One at a time.
        self._listing = asyncio.Lock()
        self._on_update: OnOrderUpdate | None = None
        self._on_connection: OnConnection | None = None
        self._on_tick: OnTick | None = None
        self._on_refused: OnQuoteRefused | None = None
        self._amends: dict[int, _Amend] = {}
        self._on_pnl: OnPnl | None = None
        self._pnl_accounts: frozenset[str] = frozenset()
        """The accounts whose PnL is wanted (``watch_pnl``)."""
        self.ib.openOrderEvent += self._on_trade
        self.ib.orderStatusEvent += self._on_trade
        self.ib.commissionReportEvent += self._on_commission
        self.ib.pendingTickersEvent += self._on_tickers
        self.ib.errorEvent += self._on_error
        self.ib.pnlEvent += self._on_ib_pnl

    @property
    def connected(self) -> bool:
        return self._link.up

    @property
    def managed_accounts(self) -> tuple[str, ...] | None:
        """The login's accounts (IBKR's ``managedAccounts`` at the handshake)."""
        return tuple(self.ib.managedAccounts()) or None

    @property
    def client_id(self) -> int:
        """The API client id of the current (or next) connection."""
        return self._link.client_id

    def set_callbacks(
        self,
        on_update: OnOrderUpdate,
        on_connection: OnConnection,
        on_tick: OnTick,
        on_refused: OnQuoteRefused | None = None,
    ) -> None:
        self._on_update, self._on_connection, self._on_tick = on_update, on_connection, on_tick
        self._on_refused = on_refused

    def set_pnl_callback(self, on_pnl: OnPnl) -> None:
        self._on_pnl = on_pnl

    async def watch_pnl(self, accounts: Collection[str]) -> None:
        wanted = frozenset(accounts)
        before, self._pnl_accounts = self._pnl_accounts, wanted
        if not self.ib.isConnected():
            return  # ib_async forgot every subscription with the socket; connect asks anew
        for account in sorted(before - wanted):
            if (account, "") in self.ib.wrapper.pnlKey2ReqId:
                self.ib.cancelPnL(account)
        if self._link.up:  # else the next connect or restore subscribes them
            self._request_pnl(wanted - before)

    async def connect(self) -> None:
        await self._link.connect()

    async def close(self) -> None:
        await self._relay.close()  # in-flight callbacks end here; reconcile covers the rest
        await self._link.close()
        await self.pacer.close()

    async def qualify(self, instrument: Instrument) -> Instrument:
        if instrument.con_id:
            return instrument
        self._require_up()
        try:  # unbounded in ib_async: a silent gateway would hold the desk's lock forever
            async with asyncio.timeout(self._options.ack_timeout_s):
                details = await self.ib.reqContractDetailsAsync(mapping.to_contract(instrument))
        except (TimeoutError, ConnectionError) as exc:
            raise NotConnectedError(f"IBKR did not answer the contract lookup ({exc!r})") from None
        found = [mapping.from_contract(d.contract) for d in details if d.contract is not None]
        return one_contract(instrument, found)

    def protect_order_ids(self, high_water: int) -> None:
        self._ids.sent(high_water)
        # A handshake may have finished while the journal was read: overrule its start now.
        if self._ids.next_valid_id is not None and self.ib.client.isReady():
            self.ib.paced.updateReqId(self._start_ids(self._ids.next_valid_id))

    def reserve_order_id(self) -> OrderIdLease | None:
        if not self._link.up:  # ``place`` would not send it
            return None
        lease = self._ids.lease(self.ib.client.getReqId())
        self.ib.paced.updateReqId(lease.order_id + 1)
        return lease

    async def place(
        self, order: ApprovedOrder, instrument: Instrument, order_id: int | None = None
    ) -> BrokerOrder:
        if not self._link.up:  # checked here, with nothing awaited before placeOrder
            raise NotSentError("IB Gateway link is down: not sent")
        ib_order = mapping.to_order(order)
        lease = None if order_id is not None else self.reserve_order_id()
        ib_order.orderId = order_id or (lease.order_id if lease is not None else 0)
        guard = _guard(order)
        with self.ib.paced.guarded(guard):
            trade = self.ib.placeOrder(mapping.to_contract(instrument), ib_order)
        async with asyncio.timeout(self._options.ack_timeout_s):
            await self._acknowledged(trade, guard)
        return self._placed(trade)

    async def place_bracket(
        self, legs: list[ApprovedOrder], instrument: Instrument, order_ids: list[int | None]
    ) -> list[BrokerOrder | BrokerRejectedError]:
        self._require_up()
        ids = [oid or self._lease_id() for oid in order_ids]
        contract = mapping.to_contract(instrument)
        trades = []
        guard = _guard(legs[0])  # the legs go together or not at all
        with self.ib.paced.guarded(guard):
            for index, (leg, order_id) in enumerate(zip(legs, ids, strict=True)):
                # IBKR holds the parent and the first child until the last one transmits all
                last = index == len(legs) - 1
                ib_order = mapping.to_order(leg, ids[0] if index else 0, transmit=last)
                ib_order.orderId = order_id
                trades.append(self.ib.placeOrder(contract, ib_order))
        async with asyncio.timeout(self._options.ack_timeout_s):
            await asyncio.gather(*(self._acknowledged(t, guard) for t in trades))
        results: list[BrokerOrder | BrokerRejectedError] = []
        for trade in trades:
            try:
                results.append(self._placed(trade))
            except BrokerRejectedError as exc:
                results.append(exc)
        return results

    def _lease_id(self) -> int:
        lease = self.reserve_order_id()
        if lease is None:
            raise NotConnectedError("IBKR link down")
        return lease.order_id

    def _placed(self, trade: Trade) -> BrokerOrder:
        """The acknowledged order, or why IBKR refused it (in doubt on a duplicate id)."""
        if mapping.duplicate_id(trade):
            raise OrderInDoubtError(f"IBKR 103: order id {trade.order.orderId} is already used")
        placed = mapping.broker_order(trade)
        if placed is None or placed.status == "rejected":
            code, text = mapping.last_error(trade)
            raise BrokerRejectedError(code, text or "rejected by IBKR")
        self._ids.acknowledged(trade.order.orderId)
        return placed

    async def cancel(self, client_order_id: str) -> None:
        self._require_up()
        for trade in self.ib.openTrades():
            if trade.order.orderRef == client_order_id:
                self.ib.cancelOrder(trade.order)
                return
        raise BrokerRejectedError(None, f"no open order with orderRef {client_order_id} at IBKR")

    async def amend(self, order: ApprovedOrder, instrument: Instrument) -> BrokerOrder:
        """placeOrder again under the working order's id with the new terms: how IBKR modifies.
        IBKR answers with an openOrder showing them, or an error about the id (104, ...)."""
        self._require_up()
        trade = next(
            (t for t in self.ib.openTrades() if t.order.orderRef == order.client_order_id), None
        )
        if trade is None:
            raise BrokerRejectedError(
                None, f"no working order with orderRef {order.client_order_id}"
            )
        if trade.order.clientId != self.ib.wrapper.clientId:  # IBKR lets only the placer modify
            raise BrokerRejectedError(None, f"placed by API client {trade.order.clientId}")
        terms = mapping.to_order(order)
        terms.orderId, terms.permId = trade.order.orderId, trade.order.permId
        terms.clientId = trade.order.clientId
        answer: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._amends[terms.orderId] = _Amend(terms, trade.orderStatus.status, answer)

        def lost(*_: Any) -> None:
            if not answer.done():
                answer.set_exception(NotConnectedError("link lost before IBKR answered the amend"))

        self.ib.disconnectedEvent += lost
        try:
            self.ib.placeOrder(trade.contract, terms)
            async with asyncio.timeout(self._options.ack_timeout_s):
                await answer
        finally:
            self.ib.disconnectedEvent -= lost
            self._amends.pop(terms.orderId, None)
        placed = mapping.broker_order(trade)
        assert placed is not None  # found by its orderRef
        return placed

    async def cancel_all(self, account: str) -> list[SweptOrder]:
        del account  # reqGlobalCancel has no account: it reaches every account of the login
        self._require_up()
        try:  # what is open before the cancel: the report of what it covered
            async with self._listing, asyncio.timeout(self._options.ack_timeout_s):
                trades = await self.ib.reqAllOpenOrdersAsync()
        except (TimeoutError, ConnectionError):
            raise NotConnectedError("IBKR did not answer the open-orders request") from None
        # every client's orders and the TWS user's, of every account this login serves: a
        # client's cancelOrder reaches only its own orders, so this is the one way to the rest
        self.ib.reqGlobalCancel()  # type: ignore[no-untyped-call]
        return [mapping.swept(trade) for trade in trades if not trade.isDone()]

    async def snapshot(self) -> BrokerSnapshot:
        self._require_up()
        try:  # ib_async never fails a pending request when the socket drops: bound it
            async with self._listing, asyncio.timeout(self._options.ack_timeout_s):
                trades = [
                    *await self.ib.reqCompletedOrdersAsync(False),
                    *await self.ib.reqAllOpenOrdersAsync(),  # open after completed: newer wins
                ]
                executions = await self.ib.reqExecutionsAsync()
        except (TimeoutError, ConnectionError):  # ConnectionError: the socket dropped meanwhile
            raise NotConnectedError("IBKR did not answer the snapshot requests") from None
        snapshot = BrokerSnapshot(next_valid_id=self._ids.next_valid_id)
        for trade in trades:
            known = mapping.broker_order(trade)
            if known is not None:
                snapshot.orders[known.client_order_id] = known
                self._ids.acknowledged(trade.order.orderId)  # IBKR holds it on this day
        for fill in executions:
            ref = fill.execution.orderRef
            if ref:
                snapshot.fills.setdefault(ref, []).append(mapping.to_fill(fill))
        return snapshot

    async def truth(self, account: str) -> BrokerTruth:
        self._require_up()
        try:  # every client's open orders and the TWS user's (orderRef empty for those)
            async with self._listing, asyncio.timeout(self._options.ack_timeout_s):
                held = await self.ib.reqPositionsAsync()
                trades = await self.ib.reqAllOpenOrdersAsync()
        except (TimeoutError, ConnectionError):
            raise NotConnectedError("IBKR did not answer the positions request") from None
        return BrokerTruth(
            account=account,
            positions=truth.positions(held, account),
            open_orders=truth.open_orders(trades, account),
            # kept current by the account updates ib_async subscribes to at connect
            summary=truth.summary(self.ib.accountValues(account), account),
        )

    async def subscribe_quotes(self, instrument: Instrument) -> None:
        qualified = await self.qualify(instrument)
        await self.unsubscribe_quotes(instrument)
        contract = mapping.to_contract(qualified)
        ticker = self.ib.reqMktData(contract)
        req_id = self.ib.wrapper.ticker2ReqId["mktData"][ticker]  # ib_async keeps it there
        self._streams[instrument.key] = _Stream(instrument, contract, req_id)

    async def unsubscribe_quotes(self, instrument: Instrument) -> None:
        old = self._streams.pop(instrument.key, None)
        if old is not None and self.ib.isConnected():
            self.ib.cancelMktData(old.contract)

    async def history(self, request: HistoryRequest) -> list[Bar]:
        qualified = await self.qualify(request.instrument)
        self._require_up()
        contract = mapping.to_contract(qualified)
        return await request_bars(self.ib, contract, request)

    async def session_command(self, command: str) -> AuthStatusReport | EgressReport | None:
        if command == "reconnect":
            self._link.reconnect()
        return None  # tickle, auth status, egress checks belong to the REST path

    def _require_up(self) -> None:
        if not self._link.up:
            raise NotConnectedError("IB Gateway link is down")

    async def _acknowledged(self, trade: Trade, guard: SendGuard | None = None) -> None:
        """Until IBKR answers the order, or the link drops (then the outcome is unknown);
        ``ExpiredUnsentError`` when ``guard`` kept it in the pacer (ib_async forgets it)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def check(*_: Any) -> None:
            if done.done():
                return
            if guard is not None and guard.decided.done() and not guard.decided.result():
                key = self.ib.wrapper.orderKey(trade.order.clientId, trade.order.orderId, 0)
                self.ib.wrapper.trades.pop(key, None)  # never sent: not an open trade
                done.set_exception(ExpiredUnsentError(_too_late(guard)))
            elif trade.orderStatus.status not in _PENDING:
                done.set_result(None)
            elif not self._link.up:
                done.set_exception(NotConnectedError("link lost before IBKR acknowledged"))

        events = (trade.statusEvent, self.ib.disconnectedEvent, self.ib.errorEvent)
        for event in events:
            event.connect(check)
        if guard is not None:
            guard.decided.add_done_callback(check)
        try:
            check()
            await done
        finally:
            for event in events:
                event.disconnect(check)
            if guard is not None:
                guard.decided.remove_done_callback(check)

    def _start_ids(self, next_valid_id: int) -> int:
        """Overrule a ``nextValidId`` at or below an id already sent (a rolled-back sequence)."""
        start = self._ids.connected(next_valid_id)
        if start != next_valid_id:
            log.warning(
                "IBKR offered order id %d, but ids up to %d were sent already: starting at %d",
                next_valid_id, self._ids.high_water, start,
            )  # fmt: skip
        return start

    def _on_link(self, status: ConnectionStatus, code: int | None, message: str) -> None:
        report = ConnectionReport(
            account=self.account, path="socket", status=status, code=code, message=message,
            client_id=self._link.client_id,
        )  # fmt: skip
        if self._on_connection is not None:
            callback = self._on_connection
            self._relay.post(lambda: callback(report))
        if status in ("connected", "restored_data_lost"):
            self._request_pnl(self._pnl_accounts)

    def _request_pnl(self, accounts: Collection[str]) -> None:
        """Subscribe IBKR's PnL (``reqPnL``) of each account: on a new socket, again after a
        1101 (the subscriptions are lost), for an account newly watched; ib_async forgets
        its own on a socket close."""
        if self._on_pnl is None:
            return
        for account in sorted(accounts):
            if (account, "") in self.ib.wrapper.pnlKey2ReqId:
                self.ib.cancelPnL(account)
            self.ib.reqPnL(account)

    def _on_ib_pnl(self, pnl: PnL) -> None:
        if pnl.account not in self._pnl_accounts or self._on_pnl is None:
            return
        event = truth.pnl(pnl, self.ib.accountValues(pnl.account))
        callback = self._on_pnl
        self._relay.post(lambda: callback(event))

    def _amend_answered(self, trade: Trade) -> bool:
        """Settle a modify on its way from the trade's news; True when the news is only
        ib_async's misreading of IBKR refusing the modify (the order did not change)."""
        pending = self._amends.get(trade.order.orderId)
        if pending is None or trade.order.clientId != pending.terms.clientId:
            return False
        entry = trade.log[-1] if trade.log else None
        if entry is not None and entry.errorCode and mapping.refuses_modify(entry.errorCode):
            trade.orderStatus.status = pending.status  # the refusal follows via errorEvent
            trade.log.pop()
            return True
        if mapping.shows(trade, pending.terms) and not pending.answer.done():
            pending.answer.set_result(None)
        return False

    def _on_trade(self, trade: Trade) -> None:
        if self._amend_answered(trade):
            return
        order = mapping.broker_order(trade)
        # the start-up sync is not news: reconcile, which runs next, adopts what it shows; a 103
        # says nothing of the order itself (``place`` leaves it in doubt for reconcile)
        if order is None or self._on_update is None or not self._link.synced:
            return
        if mapping.duplicate_id(trade):
            return
        refusal = mapping.cancel_refusal(trade)
        if refusal is not None and trade.log[-1].errorCode == refusal[0]:  # news, not a repeat
            update = OrderUpdate(
                order, error_code=refusal[0], error_text=refusal[1], cancel_refused=True
            )
        else:
            code, text = mapping.last_error(trade) if order.status == "rejected" else (None, None)
            update = OrderUpdate(order, error_code=code, error_text=text)
        callback = self._on_update
        self._relay.post(lambda: callback(update))

    def _on_commission(self, trade: Trade, fill: IbFill, report: Any) -> None:
        order = mapping.broker_order(trade)
        if order is None or self._on_update is None or not self._link.synced:
            return
        update = OrderUpdate(order, fill=mapping.to_fill(fill))
        callback = self._on_update
        self._relay.post(lambda: callback(update))

    def _on_error(self, req_id: int, code: int, text: str, contract: Any) -> None:
        """IBKR refused a modify on its way, or a stream after ``reqMktData`` returned (101,
        354, 10089, ...)."""
        pending = self._amends.get(req_id)
        if pending is not None and mapping.refuses_modify(code) and not pending.answer.done():
            pending.answer.set_exception(BrokerRejectedError(code, text))
            return
        if md_refusal(code) is None:
            return  # not a refusal: informational, or about something else
        stream = next((s for s in self._streams.values() if s.req_id == req_id), None)
        if stream is None:
            return
        del self._streams[stream.instrument.key]
        # frees the line where IBKR kept part of the stream (10090: some ticks stay active)
        self.ib.cancelMktData(stream.contract)
        if self._on_refused is not None:
            callback, error = self._on_refused, BrokerRejectedError(code, text)
            self._relay.post(lambda: callback(stream.instrument, error))

    def _on_tickers(self, tickers: set[Ticker]) -> None:
        if self._on_tick is None:
            return
        by_con_id = {s.contract.conId: s.instrument for s in self._streams.values()}
        for ticker in tickers:
            instrument = by_con_id.get(ticker.contract.conId) if ticker.contract else None
            if instrument is not None:
                self._relay.post(functools.partial(self._on_tick, instrument, _prices(ticker)))


def _guard(order: ApprovedOrder) -> SendGuard | None:
    """The pacer's last check of the order's expiry; None when it carries none."""
    deadline = send_deadline(order)
    return SendGuard(deadline) if deadline is not None else None


def _too_late(guard: SendGuard) -> str:
    at = guard.deadline.isoformat(timespec="milliseconds")
    return f"its turn in the pacer came after its send deadline {at}: not sent"


def _prices(ticker: Ticker) -> dict[str, Decimal | None]:
    def value(number: float | None) -> Decimal | None:
        if number is None or math.isnan(number) or number <= 0:  # unset
            return None
        return mapping.dec(number)

    return {
        "bid": value(ticker.bid), "ask": value(ticker.ask), "last": value(ticker.last),
        "bid_size": value(ticker.bidSize), "ask_size": value(ticker.askSize),
        "last_size": value(ticker.lastSize),
    }  # fmt: skip
