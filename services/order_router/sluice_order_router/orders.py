"""The order desk: approved orders in, exactly one broker order out, the lifecycle reported.

Rule: an order is published as ``OrderSubmitting`` (durably) before any byte of it goes to
IBKR, and an order whose outcome is unknown (link lost, no acknowledgement) is never sent
again blindly: ``reconcile`` looks it up by ``orderRef`` and adopts it or sends it once. It
runs after every (re)connect and, for an order in doubt while the link stays up, on a
backoff (``DoubtRetry``); the order is reported held meanwhile. While the link is down new
orders are held, not lost.

IBKR answering 103 (duplicate order id) leaves the order in doubt too: reconcile looks it up.
An order absent after IBKR forgot the day it was sent in is unknown (``domain.reconcile``): it
is reported held once and never resent.

An amend (``AmendOrder``) is written ahead like an order (``OrderAmendSubmitting``) and sent
once; one whose answer was lost is settled on reconcile against IBKR's view of the order, and
sent again only if IBKR does not show it (``domain.amends``).

An order whose ``expires_at`` has passed (less ``domain.expiry``'s margin) is never sent: on
arrival, when held orders go out after a reconnect, when an order in doubt turns out absent,
or when its turn in the pacer or the rate limiter comes too late, it ends ``order_expired``;
one in doubt that IBKR turns out to have is cancelled.

Pipelined: once an order's write-ahead is durable, its place (the bytes through the pacer,
IBKR's acknowledgement, the outcome) runs as a task of its own (``PlacesInFlight``, at most
``max_in_flight`` at a time) and the desk takes the next order, so a burst leaves at the
pacer's rate. A cancel or amend of an order waits for that order's place; a reconcile waits
for every place under way (an order still in the pacer's queue is not yet at IBKR).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sluice_order_router.cancels import Canceller, KillScope
from sluice_order_router.contracts import ContractCache
from sluice_order_router.domain import amends
from sluice_order_router.domain.accounts import Accounts
from sluice_order_router.domain.backoff import JitteredBackoff
from sluice_order_router.domain.brackets import legs
from sluice_order_router.domain.broker import BrokerOrder, BrokerSnapshot
from sluice_order_router.domain.expiry import send_deadline
from sluice_order_router.domain.reconcile import reconcile
from sluice_order_router.domain.sync import apply_broker
from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_order_router.domain.tracker import TrackedOrder, track
from sluice_order_router.doubt import DoubtRetry
from sluice_order_router.inflight import PlacesInFlight
from sluice_order_router.ports import (
    AmbiguousInstrumentError,
    BrokerGateway,
    BrokerRejectedError,
    ExpiredUnsentError,
    NotConnectedError,
    NotSentError,
    OrderInDoubtError,
    OrderUpdate,
)
from sluice_order_router.publisher import Publisher
from sluice_order_router.tracing import OrderTraces, ibkr_call
from sluice_proto import AmendOrder, ApprovedOrder, Instrument, utc_now
from sluice_proto.orders import (
    CancelRejected,
    OrderHeld,
    OrderRejected,
    OrderRejectReason,
    OrderSubmitting,
)

log = logging.getLogger(__name__)

IN_DOUBT_RETRY = JitteredBackoff(initial_s=1.0, cap_s=30.0)
MAX_IN_FLIGHT = 64
"""Places under way at once (``SLUICE_ROUTER_MAX_IN_FLIGHT``): 1.4 s of the pacer at 45/s."""
_OVER = frozenset({"filled", "cancelled", "rejected"})


class OrderDesk:
    """Places and reconciles the orders of the router's accounts; ``cancels`` handles cancel
    commands. Orders for an account another router serves are not its business: ignored."""

    def __init__(
        self, gateway: BrokerGateway, publisher: Publisher, orders: TrackedOrders, *,
        accounts: Accounts, read_only: bool, in_doubt_retry: JitteredBackoff = IN_DOUBT_RETRY,
        kill_scope: KillScope = "all", max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:  # fmt: skip
        self._gateway = gateway
        self._publish = publisher
        self._contracts = ContractCache(gateway)
        self.orders = orders
        self.accounts = accounts
        self._read_only = read_only
        self._lock = asyncio.Lock()
        self._traces = OrderTraces()
        self._placing = PlacesInFlight(max_in_flight)
        self.cancels = Canceller(
            gateway, publisher, orders, self._lock, self._placing, scope=kill_scope
        )
        self._in_doubt = DoubtRetry(self._settle, in_doubt_retry)
        self._expiries: dict[str, asyncio.Task[None]] = {}
        self._unknown: set[str] = set()  # reported unknown once (each reconcile finds them again)

    async def close(self) -> None:
        """Stop placing, resolving orders in doubt and timing held ones (a restart's reconcile
        does)."""
        await self._placing.close()
        await self._in_doubt.close()
        for task in self._expiries.values():
            task.cancel()
        for task in list(self._expiries.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def approved(self, order: ApprovedOrder) -> None:
        """Handle one approved order (redeliveries of a known order are dropped)."""
        if not self.accounts.serves(order.account):
            log.debug("order %s is for %s: not this router's", order.client_order_id, order.account)
            return
        async with self._lock:
            if self.orders.get(order.client_order_id) is not None:
                log.info("duplicate approved order %s dropped", order.client_order_id)
                return
            self._traces.remember(order.client_order_id)
            if self._read_only:
                why = "read-only mode (IBKR_READ_ONLY): orders are refused"
                await self._reject(track(order, "held"), "READ_ONLY", why)
            elif not self._gateway.connected:
                record = track(order, "held")
                if not await self._expire_if_due(record, "expired before it could be sent"):
                    await self._hold(record, "IBKR link down")
            else:  # checks the expiry before sending
                await self._qualify_and_send(track(order, "held"), order)

    async def amend(self, command: AmendOrder) -> None:
        """Amend one order at IBKR, once per revision (a held order is amended in place)."""
        async with self._lock:
            await self._placing.settled(command.client_order_id)
            record = self.orders.get(command.client_order_id)
            why = amends.refusal(record, command)
            if why is not None:
                await self._publish.orders([amends.refused(record, command, why)])
                return
            assert record is not None
            await self._publish.orders([amends.submitting(record, command)])  # write-ahead
            if record.state == "held":  # never sent: it goes out amended
                await self._publish.orders(amends.confirmed(record))
                return
            with self._traces.resumed(record.client_order_id):
                await self._send_amend(record)

    async def _send_amend(self, record: TrackedOrder) -> None:
        """Send the amend written ahead; without an answer it stays pending for reconcile."""
        order = record.amending
        if order is None or not self._gateway.connected:
            return  # the next reconcile settles or sends it
        try:
            instrument = record.contract or await self._contracts.qualify(order.instrument)
            with ibkr_call("amend_order", order, self._gateway.path):
                await self._gateway.amend(order, instrument)
        except BrokerRejectedError as exc:
            why = f"IBKR {exc.code}: {exc.text}" if exc.code is not None else exc.text
            rejected = amends.rejected(record, ("BROKER_REJECTED", why), "broker", exc.code)
            await self._publish.orders(rejected)
        except (NotConnectedError, TimeoutError, OrderInDoubtError) as exc:
            log.warning(
                "amend of %s in doubt (%r): reconcile settles it", record.client_order_id, exc
            )
            self._in_doubt.schedule(record.client_order_id)
        else:
            await self._publish.orders(amends.confirmed(record))

    async def _settle_amends(self, snapshot: BrokerSnapshot) -> None:
        """Amends written ahead without an answer: confirmed if IBKR shows their terms,
        refused if the order is over, else sent (IBKR does not have them)."""
        for record in self.orders:
            if record.amending is None or record.state in ("held", "submitting"):
                continue
            broker = snapshot.orders.get(record.client_order_id)
            if broker is not None and amends.in_force(broker, record.amending):
                await self._publish.orders(amends.confirmed(record))
            elif record.terminal or broker is None or broker.status in _OVER:
                over = broker.status if broker is not None else "not at IBKR"
                why = f"the order was {over} before IBKR confirmed the amend"
                await self._publish.orders(
                    amends.rejected(record, ("ORDER_NOT_WORKING", why), "broker")
                )
            else:
                await self._send_amend(record)

    async def update(self, update: OrderUpdate) -> None:
        """An order status or fill pushed by IBKR."""
        record = self.orders.get(update.order.client_order_id)
        if record is None:
            return  # not an order of this router (manual, another system)
        if update.cancel_refused:
            refused = CancelRejected(
                **record.ids(), code=update.error_code, text=update.error_text or ""
            )
            await self._publish.orders([refused])
            return
        fills = [update.fill] if update.fill is not None else []
        events = apply_broker(
            record, update.order, fills, error_code=update.error_code, error_text=update.error_text
        )
        with self._traces.resumed(record.client_order_id):
            await self._publish.orders(events)
        if record.terminal:
            self._traces.forget(record.client_order_id)

    async def reconcile(self) -> None:
        """Resolve every pending order against IBKR's snapshot; then send what is held."""
        async with self._lock:
            await self._placing.all_settled()  # not at IBKR yet is not absent
            pending = self.orders.pending()
            try:
                snapshot = await self._gateway.snapshot()
            except NotConnectedError:
                return  # the next (re)connect reconciles
            plan = reconcile(self.orders, snapshot)
            await self._publish.orders(plan.events)
            for record in pending:  # found at IBKR (adopted, or its status pushed meanwhile)
                found = not record.terminal and record.state not in ("held", "submitting")
                if found and record.expired_at(utc_now()):
                    await self.cancels.cancel(record, "expired while in doubt")
            for record in plan.unresolved:
                log.error("order %s is pending without its order: cannot resend", record)
            await self._report_unknown(plan.unknown)
            await self._settle_amends(snapshot)
            for record in plan.to_send:
                parent = record.order.parent_client_order_id if record.order else None
                if parent is not None:  # a bracket child goes with its parent, never alone
                    if not any(p.client_order_id == parent for p in plan.to_send):
                        log.error("bracket child %s absent, its parent is not: not resent", record)
                    continue
                if record.cancel_requested:
                    await self._publish.orders(record.cancelled("cancelled before it was sent"))
                elif record.order is not None:
                    with self._traces.resumed(record.client_order_id):
                        await self._qualify_and_send(record, record.order)
            await self.cancels.retry()

    async def _qualify_and_send(self, record: TrackedOrder, order: ApprovedOrder) -> None:
        if not self.accounts.serves(order.account):
            return  # another router claimed the account meanwhile: its journal has the order
        if await self._expire_if_due(record, "expired before it was sent"):
            return
        refused = self.accounts.refused.get(order.account)
        if refused is not None:  # what IBKR said of the login (not managed, other mode)
            await self._reject(record, "UNKNOWN_ACCOUNT", f"refused: {refused}")
            return
        try:
            instrument = await self._contracts.qualify(order.instrument)
        except NotConnectedError:
            if self.orders.get(record.client_order_id) is None:
                await self._hold(record, "IBKR link down")
            return
        except AmbiguousInstrumentError as exc:
            await self._reject(record, "AMBIGUOUS_INSTRUMENT", exc.text, exc.candidates)
            return
        except BrokerRejectedError as exc:
            await self._reject(record, "UNKNOWN_INSTRUMENT", f"IBKR {exc.code}: {exc.text}")
            return
        if await self._expire_if_due(record, "expired before it was sent"):
            return  # qualifying took the last of its time
        bracket = legs(order)  # the order alone, or a bracket's parent and its children
        records = [record] + [
            self.orders.get(leg.client_order_id) or track(leg, "held") for leg in bracket[1:]
        ]
        await self._placing.admit()
        try:
            for each in records:
                each.attempts += 1
                lease = self._gateway.reserve_order_id()  # journalled: never used again
                each.sent_order_id = lease.order_id if lease is not None else None
                each.ibkr_floor = lease.ibkr_floor if lease is not None else None
            await self._publish.orders(
                [_submitting(r, leg, instrument) for r, leg in zip(records, bracket, strict=True)]
            )
        except BaseException:
            self._placing.withdraw()
            raise
        for each in records:
            each.move("submitting")  # only once the write-ahead record is durable
            each.contract = instrument
            self.orders.add(each)
        place = self._place_and_report(records, bracket, instrument)
        self._placing.start([r.client_order_id for r in records], place)

    async def _place_and_report(
        self, records: list[TrackedOrder], bracket: list[ApprovedOrder], instrument: Instrument
    ) -> None:
        """Send what was written ahead and report the outcome (a task of its own)."""
        record, order = records[0], bracket[0]
        try:
            with ibkr_call("place_order", order, self._gateway.path):
                placed = await self._place(bracket, instrument, [r.sent_order_id for r in records])
        except BrokerRejectedError as exc:
            await self._publish.orders([e for r in records for e in r.rejected(exc.code, exc.text)])
        except ExpiredUnsentError as exc:  # written ahead, but it never left: final, not in doubt
            for each in records:
                await self._expire(each, str(exc))
        except NotSentError as exc:
            # The link dropped while the write-ahead records were being published. Not in
            # doubt: left in doubt, a gateway restart (a new day) would make them "unknown"
            # and never sent. The journal still says submitting: a router restarted before
            # the reconnect treats them as in doubt, as it must for any write-ahead record.
            for each in records:
                each.not_sent()
                await self._hold(each, f"{exc}; sent once the link is back")
        except (NotConnectedError, TimeoutError, OrderInDoubtError) as exc:
            log.warning("order %s in doubt (%r): reconcile resolves it", record, exc)
            why = f"outcome unknown ({type(exc).__name__}: {exc}): reconciling"
            held = [
                OrderHeld(**r.ids(), reason=why, order=leg)
                for r, leg in zip(records, bracket, strict=True)
            ]
            await self._publish.orders(held)
            self._in_doubt.schedule(record.client_order_id)
        else:  # each leg of a bracket has its own outcome: IBKR may refuse one and take the rest
            for each, result in zip(records, placed, strict=True):
                if isinstance(result, BrokerRejectedError):
                    await self._publish.orders(each.rejected(result.code, result.text))
                else:
                    await self._publish.orders(apply_broker(each, result))

    async def _place(
        self, bracket: list[ApprovedOrder], instrument: Instrument, ids: list[int | None]
    ) -> list[BrokerOrder | BrokerRejectedError]:
        """One order as itself; a bracket as one unit (``place_bracket``)."""
        if len(bracket) == 1:
            return [await self._gateway.place(bracket[0], instrument, ids[0])]
        return await self._gateway.place_bracket(bracket, instrument, ids)

    async def _report_unknown(self, unknown: list[TrackedOrder]) -> None:
        """Say once per order that IBKR may have had it: an operator checks, nothing resends."""
        for record in unknown:
            if record.client_order_id in self._unknown:
                continue
            self._unknown.add(record.client_order_id)
            why = "unknown at IBKR: absent after its day rolled over (gateway restart); not resent"
            log.error("order %s %s", record, why)
            held = OrderHeld(**record.ids(), reason=why, order=record.order, unknown=True)
            await self._publish.orders([held])

    async def _settle(self, client_order_id: str) -> bool:
        """Reconcile now; True once the order is no longer in doubt."""
        await self.reconcile()
        record = self.orders.get(client_order_id)
        return record is None or (record.state != "submitting" and record.amending is None)

    async def _expire_if_due(self, record: TrackedOrder, reason: str) -> bool:
        """Report the order expired (and remember it) when its expiry has passed."""
        if not record.expired_at(utc_now()):
            return False
        await self._expire(record, reason)
        return True

    async def _expire(self, record: TrackedOrder, reason: str) -> None:
        await self._publish.orders(record.expired(reason))
        self.orders.add(record)
        self._traces.forget(record.client_order_id)

    async def _hold(self, record: TrackedOrder, reason: str) -> None:
        event = OrderHeld(**record.ids(), reason=reason, order=record.order)
        await self._publish.orders([event])
        self.orders.add(record)
        deadline = send_deadline(record.order)
        if deadline is not None and record.client_order_id not in self._expiries:
            delay = (deadline - utc_now()).total_seconds()
            task = asyncio.create_task(self._expire_held(record.client_order_id, delay))
            self._expiries[record.client_order_id] = task

    async def _expire_held(self, client_order_id: str, delay: float) -> None:
        """Report a held order expired once its expiry passes, without waiting for the link."""
        try:
            await asyncio.sleep(max(delay, 0.0))
            async with self._lock:
                record = self.orders.get(client_order_id)
                if record is not None and record.state == "held":
                    await self._expire_if_due(record, "expired while held")
        finally:
            self._expiries.pop(client_order_id, None)

    async def _reject(
        self, record: TrackedOrder, code: OrderRejectReason, message: str,
        candidates: list[Instrument] | None = None,
    ) -> None:  # fmt: skip
        event = OrderRejected(
            **record.ids(), reason_code=code, message=message, rejected_by="router",
            candidates=candidates or [],
        )  # fmt: skip
        await self._publish.orders([event])
        record.move("rejected")
        self.orders.add(record)
        self._traces.forget(record.client_order_id)


def _submitting(
    record: TrackedOrder, order: ApprovedOrder, contract: Instrument
) -> OrderSubmitting:
    return OrderSubmitting(
        **record.ids(), side=order.side, quantity=order.quantity, order_type=order.order_type,
        limit_price=order.limit_price, stop_price=order.stop_price, con_id=contract.con_id,
        attempt=record.attempts, order=order, broker_order_id=record.sent_order_id,
        ibkr_floor=record.ibkr_floor, contract=contract,
    )  # fmt: skip
