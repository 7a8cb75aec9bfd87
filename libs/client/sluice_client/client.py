"""``SluiceClient``: what a strategy needs from Sluice, over Kafka and the public contract."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from sluice_client import kafka
from sluice_client.errors import SluiceClientError
from sluice_client.history import History, fetch_history
from sluice_client.lifecycles import Lifecycles
from sluice_client.quotes import QuoteStream
from sluice_proto import (
    CancelRequest,
    Instrument,
    MdSubscribe,
    MdUnsubscribe,
    ModifyRequest,
    Signal,
    SignalDuplicate,
)
from sluice_proto.codec import EventDecodeError, decode
from sluice_proto.common import TimeInForce
from sluice_proto.history import WhatToShow
from sluice_proto.orders import final_status
from sluice_proto.topics import MD_SUBSCRIPTIONS, ORDERS_EVENTS, SIGNALS

PUBLISH_ATTEMPTS = 3
RETRY_PAUSE_S = 0.5

Order = Signal | CancelRequest | ModifyRequest
"""A signal, or a cancel or amend of one: each names the order by ``client_order_id``."""


class SluiceClient:
    """A strategy's connection to Sluice (use as ``async with SluiceClient(...) as client``).

    Signals and cancels go to ``sluice.signals.v1`` keyed by ``strategy_id``; the lifecycle of
    the orders this client publishes is read from ``sluice.orders.events.v1`` as it happens.
    Publishing is idempotent: a retry sends the same ``signal_id``, and risk answers a repeat
    with ``signal_duplicate``, which the client treats as "already in flight".
    """

    def __init__(
        self,
        bootstrap: str,
        strategy_id: str,
        *,
        client_id: str | None = None,
        publish_attempts: int = PUBLISH_ATTEMPTS,
        md_url: str | None = None,
    ) -> None:
        """``md_url``: market-data's HTTP address, for ``history``."""
        self.bootstrap = bootstrap
        self.md_url = md_url
        self.strategy_id = strategy_id
        self._client_id = client_id or f"sluice-client.{strategy_id}"
        self._attempts = publish_attempts
        self._lifecycles = Lifecycles()
        self._streams: set[QuoteStream] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._producer: AIOKafkaProducer | None = None
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> SluiceClient:
        try:
            self._producer = await kafka.start_producer(self.bootstrap, self._client_id)
            self._stack.push_async_callback(self._producer.stop)
            orders = await self._stack.enter_async_context(
                kafka.reader(self.bootstrap, f"{self._client_id}.orders")
            )
            await kafka.assign_from_end(orders, await self._partitions(orders, ORDERS_EVENTS))
            self._spawn(self._read_orders(orders))
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            for stream in list(self._streams):
                await stream.close()
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._stack.aclose()

    # --- signals and cancels ----------------------------------------------------------------

    async def signal(
        self,
        symbol: str,
        side: str,
        quantity: Decimal | int | str,
        *,
        order_type: str = "MKT",
        signal_id: str | None = None,
        **fields: Any,
    ) -> Signal:
        """Build a ``Signal`` of this strategy (validated as risk would) and publish it.

        ``fields`` are the other ``Signal`` fields (``limit_price``, ``account``, ``tif``...);
        ``signal_id`` defaults to a fresh id. Returns the signal as published.
        """
        try:
            signal = msgspec.convert(
                {
                    "signal_id": signal_id or uuid.uuid4().hex,
                    "strategy_id": self.strategy_id,
                    "symbol": symbol,
                    "side": side,
                    "quantity": str(quantity),
                    "order_type": order_type,
                    **{k: str(v) if isinstance(v, Decimal) else v for k, v in fields.items()},
                },
                Signal,
            )
        except msgspec.ValidationError as exc:
            raise ValueError(f"invalid signal: {exc}") from None
        return await self.publish_signal(signal)

    async def publish_signal(self, signal: Signal) -> Signal:
        """Publish a signal; retried with the same ``signal_id`` if the cluster does not confirm.

        Publishing the same signal again (after a timeout, or from a restarted strategy) is
        safe: risk decides each ``(strategy_id, signal_id)`` once.
        """
        self._lifecycles.watch(signal.client_order_id)
        await self._publish(SIGNALS, signal, signal.strategy_id)
        return signal

    def _order_of(self, order: Signal | str, account: str | None) -> tuple[str, str, str | None]:
        """A signal's (or this strategy's ``signal_id``'s) strategy, signal id and account."""
        if isinstance(order, Signal):
            return order.strategy_id, order.signal_id, account or order.account
        return self.strategy_id, order, account

    async def cancel(
        self, order: Signal | str, *, account: str | None = None, reason: str = ""
    ) -> CancelRequest:
        """Ask for the order of a signal (or of a ``signal_id`` of this strategy) to be
        cancelled. The answer is the order's ``order_cancelled`` (or ``cancel_rejected``)."""
        strategy_id, signal_id, account = self._order_of(order, account)
        request = CancelRequest(
            strategy_id=strategy_id, signal_id=signal_id, account=account, reason=reason
        )
        self._lifecycles.watch(request.client_order_id)
        await self._publish(SIGNALS, request, strategy_id)
        return request

    async def modify(
        self, order: Signal | str, *, revision: int, quantity: Decimal | None = None,
        limit_price: Decimal | None = None, stop_price: Decimal | None = None,
        tif: TimeInForce | None = None, account: str | None = None, reason: str = "",
    ) -> ModifyRequest:  # fmt: skip
        """Ask for the working order of a signal (or of a ``signal_id`` of this strategy) to be
        amended: its total quantity, limit or stop price, or time in force. ``revision`` (1 for
        the first amend, higher for each later one) makes it idempotent: publishing it again
        never amends twice. The answer is the order's ``order_amended`` or
        ``order_amend_rejected``."""
        strategy_id, signal_id, account = self._order_of(order, account)
        request = ModifyRequest(
            strategy_id=strategy_id, signal_id=signal_id, revision=revision, quantity=quantity,
            limit_price=limit_price, stop_price=stop_price, tif=tif, account=account,
            reason=reason,
        )  # fmt: skip
        self._lifecycles.watch(request.client_order_id)
        await self._publish(SIGNALS, request, strategy_id)
        return request

    # --- outcomes -----------------------------------------------------------------------------

    def lifecycle(self, order: Order) -> AsyncIterator[Any]:
        """The order's events as they happen (from when this client published it), ending
        with its final event: ``order_filled``, ``order_cancelled``, ``order_rejected``,
        ``order_broker_rejected`` or ``order_expired`` (``final_status`` of the contract).
        ``cancel_rejected`` and the other interim events (``order_parked``...) are yielded too;
        ``signal_duplicate`` notices are not."""
        return self._lifecycles.follow(order.client_order_id)

    # A deadline per call is what a strategy wants here; asyncio.timeout does the work.
    async def outcome(self, order: Order, *, timeout: float = 30.0) -> Any:  # noqa: ASYNC109
        """The order's final event; ``TimeoutError`` after ``timeout`` seconds without one."""
        async with asyncio.timeout(timeout):
            async for event in self.lifecycle(order):
                if final_status(event) is not None:
                    return event
        raise SluiceClientError(f"{order.client_order_id}: the lifecycle ended without an outcome")

    # --- market data --------------------------------------------------------------------------

    def quotes(
        self, instrument: Instrument | str, *, subscriber_id: str | None = None
    ) -> QuoteStream:
        """Subscribe to an instrument's quotes (``"AAPL"`` means a US stock on SMART)."""
        stream = QuoteStream(
            self.bootstrap,
            self._client_id,
            _instrument(instrument),
            subscriber_id=subscriber_id or f"{self.strategy_id}.{uuid.uuid4().hex[:8]}",
            publish=self._publish_subscription,
            partitions=self._partitions,
            on_close=self._streams.discard,
        )
        self._streams.add(stream)
        return stream

    async def history(
        self,
        instrument: Instrument | str,
        *,
        duration: str,
        bar: str,
        end: datetime | None = None,
        what_to_show: WhatToShow = "TRADES",
        use_rth: bool = True,
    ) -> History:
        """Historical bars from market-data (``md_url``): ``duration`` (``1D``) back from
        ``end`` (None: now) in bars of ``bar`` (``5m``); ``HistoryRefusedError`` otherwise."""
        if self.md_url is None:
            raise SluiceClientError("history needs market-data's HTTP address (md_url)")
        return await fetch_history(
            self.md_url, _instrument(instrument), duration=duration, bar=bar, end=end,
            what_to_show=what_to_show, use_rth=use_rth,
        )  # fmt: skip

    async def subscribe(self, instrument: Instrument | str, subscriber_id: str) -> MdSubscribe:
        """Publish a lasting subscription (until ``unsubscribe`` with the same id)."""
        event = MdSubscribe(subscriber_id=subscriber_id, instrument=_instrument(instrument))
        await self._publish_subscription(event)
        return event

    async def unsubscribe(self, instrument: Instrument | str, subscriber_id: str) -> MdUnsubscribe:
        """Drop a subscription made with ``subscribe``."""
        event = MdUnsubscribe(subscriber_id=subscriber_id, instrument=_instrument(instrument))
        await self._publish_subscription(event)
        return event

    # --- inside -------------------------------------------------------------------------------

    async def _publish_subscription(self, event: MdSubscribe | MdUnsubscribe) -> None:
        await self._publish(MD_SUBSCRIPTIONS, event, event.instrument.key)

    async def _publish(self, topic: str, event: msgspec.Struct, key: str) -> None:
        producer = self._started()
        for attempt in range(1, self._attempts + 1):
            try:
                await kafka.send(producer, topic, event, key, self._client_id)
                return
            except KafkaError:
                if attempt == self._attempts:
                    raise
                await asyncio.sleep(RETRY_PAUSE_S * attempt)  # backoff before the same record

    async def _partitions(self, consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
        return await kafka.partitions(self._started(), consumer, topic)

    def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise SluiceClientError("the client is not started: use `async with SluiceClient(...)`")
        return self._producer

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read_orders(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=1000)
            for tp, messages in batches.items():
                for message in messages:
                    await self._take(tp, message.offset, message.value)

    async def _take(self, tp: TopicPartition, offset: int, value: bytes | None) -> None:
        try:
            event = decode(ORDERS_EVENTS, value or b"")
        except EventDecodeError:
            return  # the services dead-letter it; nothing for a strategy
        coid = getattr(event, "client_order_id", None)
        if coid is None or not self._lifecycles.watching(coid):
            return
        if isinstance(event, SignalDuplicate) and not self._lifecycles.known(coid):
            # The order was decided before this client watched it (a restarted strategy
            # publishing again): its earlier events are further back in the same partition.
            self._lifecycles.hold(coid)
            self._spawn(self._look_back(coid, tp, offset))
        await self._lifecycles.add(event, (tp.partition, offset))

    async def _look_back(self, coid: str, tp: TopicPartition, end: int) -> None:
        try:
            async with kafka.reader(self.bootstrap, f"{self._client_id}.history") as consumer:
                async for message in kafka.read_until(consumer, tp, end):
                    with contextlib.suppress(EventDecodeError):
                        event = decode(ORDERS_EVENTS, message.value or b"")
                        if getattr(event, "client_order_id", None) == coid:
                            await self._lifecycles.add(event, (tp.partition, message.offset))
        finally:
            await self._lifecycles.release(coid)


def _instrument(instrument: Instrument | str) -> Instrument:
    return instrument if isinstance(instrument, Instrument) else Instrument(symbol=instrument)
