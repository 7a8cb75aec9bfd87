"""The risk service's Prometheus metrics: its decisions, how long a signal took, kill switches
and position-drift halts."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Histogram

from sluice_bus import Outgoing
from sluice_proto import ApprovedOrder, OrderAmendRejected, OrderRejected
from sluice_proto.codec import event_type
from sluice_risk.domain.state import RiskState
from sluice_runtime.metrics import LATENCY_BUCKETS_S, MetricSet, Sampled, seconds_between

Refusal = (OrderRejected, OrderAmendRejected)
"""The decisions that carry a reason code."""


class RiskMetrics(MetricSet):
    """Counted from each decision; kill switches read from the state at scrape time."""

    def __init__(self, state: RiskState) -> None:
        super().__init__()
        self._decisions = self.add(
            Counter(
                "sluice_risk_decisions",
                "Risk decisions by event type (order_approved, order_rejected, order_parked, "
                "cancel_order, amend_order, ...), with a rejection's reason code (empty "
                "otherwise).",
                ["outcome", "reason"],
                registry=None,
            )
        )
        self._signal_to_approval = self.add(
            Histogram(
                "sluice_risk_signal_to_approval_seconds",
                "From the signal's created_at (the strategy's clock) to its approval.",
                buckets=LATENCY_BUCKETS_S,
                registry=None,
            )
        )
        self.add(
            Sampled(
                "sluice_risk_kill_switch",
                "1 per account a kill switch stops (account '*': every account).",
                ["account"],
                lambda: (((account,), 1.0) for account in state.kills),
            )
        )
        self.add(
            Sampled(
                "sluice_risk_position_drift",
                "Instruments whose broker position differs from risk's book, per account halted "
                "for POSITION_DRIFT (until an operator runs sluice accept-broker).",
                ["account"],
                lambda: (((a,), float(len(d))) for a, d in state.broker.halts.items()),
            )
        )

    def decided(self, outputs: Iterable[Outgoing]) -> None:
        """Count the decisions one record led to, by event type (approvals are timed)."""
        for output in outputs:
            decision = output.event
            reason = decision.reason_code if isinstance(decision, Refusal) else ""
            self._decisions.labels(outcome=event_type(decision), reason=reason).inc()
            if isinstance(decision, ApprovedOrder):
                waited = seconds_between(decision.signal_created_at, decision.approved_at)
                if waited is not None:
                    self._signal_to_approval.observe(waited)
