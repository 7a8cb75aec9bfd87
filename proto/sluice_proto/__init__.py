"""Sluice wire contracts: the msgspec events every service and strategy exchanges.

The Structs here are the source of truth; JSON Schema and the AsyncAPI document in
``proto/`` are generated from them (``python -m sluice_proto.generate``).
"""

from sluice_proto.broker import AccountSummary, BrokerOpenOrder, BrokerPosition, BrokerTruth
from sluice_proto.common import Instrument, client_order_id, utc_now
from sluice_proto.control import AcceptBroker, ControlEvent, KillSwitch, Resume
from sluice_proto.dlq import DeadLetter
from sluice_proto.market_data import (
    MdStart,
    MdStop,
    MdSubscribe,
    MdSubscriptionRejected,
    MdTick,
    MdUnsubscribe,
    Quote,
)
from sluice_proto.orders import (
    ApprovedOrder,
    CancelAll,
    CancelAllSwept,
    CancelOrder,
    CancelRejected,
    Fill,
    OrderAccepted,
    OrderBrokerRejected,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderHeld,
    OrderParked,
    OrderPartiallyFilled,
    OrderRejected,
    OrderReleased,
    OrderSubmitted,
    OrderSubmitting,
    ReplyPromptAudit,
    SignalDuplicate,
    SweptOrder,
)
from sluice_proto.risk_state import PositionState, RiskAccountState, RiskOrderState
from sluice_proto.session import (
    AuthStatusReport,
    ConnectionReport,
    EgressReport,
    SessionCommand,
    SessionState,
)
from sluice_proto.signals import CancelRequest, Signal

__all__ = [
    "AcceptBroker",
    "AccountSummary",
    "ApprovedOrder",
    "AuthStatusReport",
    "BrokerOpenOrder",
    "BrokerPosition",
    "BrokerTruth",
    "CancelAll",
    "CancelAllSwept",
    "CancelOrder",
    "CancelRejected",
    "CancelRequest",
    "ConnectionReport",
    "ControlEvent",
    "DeadLetter",
    "EgressReport",
    "Fill",
    "Instrument",
    "KillSwitch",
    "MdStart",
    "MdStop",
    "MdSubscribe",
    "MdSubscriptionRejected",
    "MdTick",
    "MdUnsubscribe",
    "OrderAccepted",
    "OrderBrokerRejected",
    "OrderCancelled",
    "OrderExpired",
    "OrderFilled",
    "OrderHeld",
    "OrderParked",
    "OrderPartiallyFilled",
    "OrderRejected",
    "OrderReleased",
    "OrderSubmitted",
    "OrderSubmitting",
    "PositionState",
    "Quote",
    "ReplyPromptAudit",
    "Resume",
    "RiskAccountState",
    "RiskOrderState",
    "SessionCommand",
    "SessionState",
    "Signal",
    "SignalDuplicate",
    "SweptOrder",
    "client_order_id",
    "utc_now",
]
