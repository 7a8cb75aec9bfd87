"""The way into ``sluice up`` from another process: ``POST /signals`` and ``GET /orders/{id}``.

The in-memory bus is private to its process, so ``sluice up`` serves this small HTTP API
beside the four services: a strategy (or curl) posts the same JSON it would publish onto
``sluice.signals.v1``, and reads an order's lifecycle back. On Kafka it publishes there too.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from fastapi import APIRouter, FastAPI, Request, Response

from sluice_bus import Bus, Message
from sluice_proto import Signal
from sluice_proto.codec import EventDecodeError, decode, encode, event_type
from sluice_proto.topics import SIGNALS

log = logging.getLogger(__name__)
JSON = "application/json"
MAX_EVENTS_PER_ORDER = 100
"""Events kept per order (a lifecycle has a handful; bounds a flood of partial fills)."""


class OrderLog:
    """The order events seen since start, by client order id; logs one line per event."""

    def __init__(self) -> None:
        self._events: dict[str, list[Any]] = {}

    async def on_event(self, message: Message[Any]) -> None:
        """A handler of ``sluice.orders.events.v1``."""
        event = message.event
        order_id = getattr(event, "client_order_id", None)
        if order_id is None:  # router_started and the like
            return
        events = self._events.setdefault(order_id, [])
        if len(events) < MAX_EVENTS_PER_ORDER:
            events.append(event)
        reason = getattr(event, "reason", None) or getattr(event, "reason_code", None)
        log.info("order %s: %s%s", order_id, event_type(event), f" ({reason})" if reason else "")

    def of(self, order_id: str) -> list[Any]:
        """The events of one order, oldest first."""
        return list(self._events.get(order_id, ()))


def signal_api(bus: Bus, orders: OrderLog) -> FastAPI:
    """The app: publish signals and cancels through ``bus``, read lifecycles from ``orders``."""
    routes = APIRouter()

    @routes.post("/signals", status_code=202)
    async def post_signal(request: Request) -> Response:
        try:
            event = decode(SIGNALS, await request.body())
        except EventDecodeError as exc:
            return _json({"error": exc.kind, "detail": str(exc)}, 422)
        await bus.publish(SIGNALS, event, key=event.strategy_id)
        answer = {"type": event_type(event), "signal_id": event.signal_id}
        if isinstance(event, Signal):
            answer["client_order_id"] = event.client_order_id
        return _json(answer, 202)

    @routes.get("/orders/{client_order_id}")
    async def get_order(client_order_id: str) -> Response:
        events = orders.of(client_order_id)
        if not events:
            return _json({"error": "unknown", "detail": "no event for this order yet"}, 404)
        body = b"[" + b",".join(encode(event) for event in events) + b"]"
        return Response(body, media_type=JSON)

    app = FastAPI(title="sluice up", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(routes)
    return app


def _json(body: dict[str, str], status: int) -> Response:
    return Response(msgspec.json.encode(body), status_code=status, media_type=JSON)
