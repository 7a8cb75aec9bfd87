"""The order-router's Prometheus metrics: lifecycle events, held and in-doubt orders, the
approval→broker-ack latency by account, and IBKR pacing of the login (labelled with its
default account)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Counter, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from sluice_order_router.domain.tracked_orders import TrackedOrders
from sluice_order_router.ports import BrokerGateway, Paced
from sluice_proto.codec import event_type
from sluice_proto.orders import OrderEvent, OrderSubmitted
from sluice_runtime.metrics import LATENCY_BUCKETS_S, MetricSet, Sampled, seconds_between


class RouterMetrics(MetricSet):
    """Counted as events are published; order counts and pacing read at scrape time."""

    def __init__(self, account: str, orders: TrackedOrders, gateway: BrokerGateway) -> None:
        super().__init__()
        self._account, self._orders = account, orders
        self._events = self.add(
            Counter(
                "sluice_router_order_events",
                "Order lifecycle events the router published, by event type (the state an "
                "order moved to: order_submitting, order_accepted, order_filled, ...).",
                ["account", "event"],
                registry=None,
            )
        )
        self._approval_to_ack = self.add(
            Histogram(
                "sluice_router_approval_to_ack_seconds",
                "From risk's approval to IBKR's acknowledgement of the placed order.",
                ["account"],
                buckets=LATENCY_BUCKETS_S,
                registry=None,
            )
        )
        self.add(
            Sampled(
                "sluice_router_orders_held",
                "Orders held (not sent: link down, session not up); they go out on reconnect.",
                ["account"],
                lambda: _by_account(orders, "held", account),
            )
        )
        self.add(
            Sampled(
                "sluice_router_orders_in_doubt",
                "Orders sent or being sent with no IBKR acknowledgement yet; reconcile "
                "resolves them.",
                ["account"],
                lambda: _by_account(orders, "submitting", account),
            )
        )
        self.add(_Pacing(account, gateway))

    def published(self, event: OrderEvent) -> None:
        """Count one lifecycle event; IBKR's acknowledgement of a sent order is timed."""
        account = event.account or self._account
        self._events.labels(account=account, event=event_type(event)).inc()
        if isinstance(event, OrderSubmitted) and not event.adopted:
            record = self._orders.get(event.client_order_id)
            if record is not None and record.order is not None:
                waited = seconds_between(record.order.approved_at, event.ts)
                self._approval_to_ack.labels(account=account).observe(waited or 0.0)


def _by_account(orders: TrackedOrders, state: str, default: str) -> list[tuple[tuple[str], float]]:
    """How many orders are in ``state``, per account (the default account always listed)."""
    counts = {default: 0.0}
    for order in orders:
        if order.state == state:
            counts[order.account] = counts.get(order.account, 0.0) + 1
    return [((account,), count) for account, count in sorted(counts.items())]


class _Pacing(Collector):
    """IBKR pacing of the gateway, if it paces: requests waiting now, and the waits so far."""

    def __init__(self, account: str, gateway: BrokerGateway) -> None:
        self._account, self._gateway = account, gateway

    def collect(self) -> Iterator[Metric]:
        labels = ["account", "path"]
        waiting = GaugeMetricFamily(
            "sluice_ibkr_pacing_waiting",
            "Requests to IBKR waiting for a pacing token right now.",
            labels=labels,
        )
        waits = SummaryMetricFamily(
            "sluice_ibkr_pacing_wait_seconds",
            "How long requests to IBKR waited for a pacing token.",
            labels=labels,
        )
        gateway = self._gateway
        if isinstance(gateway, Paced):
            values = [self._account, gateway.path]
            waiting.add_metric(values, gateway.pacing.waiting)
            waits.add_metric(
                values, count_value=gateway.pacing.waits, sum_value=gateway.pacing.waited_s
            )
        yield waiting
        yield waits
