"""The topic catalogue: every ``sluice.*`` topic, what it carries and how it is keyed.

The bus decodes each topic into exactly its union of events: a record whose ``type`` is not
in that union is dead-lettered, never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sluice_proto.broker import BrokerEvent
from sluice_proto.control import ControlEvent
from sluice_proto.dlq import DeadLetter
from sluice_proto.history import HistoryReply, HistoryRequest
from sluice_proto.market_data import MdRequest, MdTick, QuoteEvent, SubscriptionEvent
from sluice_proto.orders import OrderEvent, RouterCommand
from sluice_proto.outbox import OutboxBatch
from sluice_proto.risk_state import DeferralCheck, RiskStateEvent
from sluice_proto.session import AccountClaim, SessionCommand, SessionReport, SessionState
from sluice_proto.signals import SignalsEvent


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: its name, the event union it carries, its key and who writes it."""

    name: str
    events: Any
    key: str
    producers: tuple[str, ...]
    description: str
    compacted: bool = False
    internal: bool = False
    partitions: int | None = None
    """A fixed partition count (else the bus's); an outbox has one, so its last record is the
    latest."""


SIGNALS = "sluice.signals.v1"
ORDERS_APPROVED = "sluice.orders.approved.v1"
ORDERS_EVENTS = "sluice.orders.events.v1"
MD_SUBSCRIPTIONS = "sluice.md.subscriptions.v1"
MD_QUOTES = "sluice.md.quotes.v1"
MD_REQUESTS = "sluice.md.requests.v1"
MD_TICKS = "sluice.md.ticks.v1"
SESSION_STATE = "sluice.session.state.v1"
SESSION_COMMANDS = "sluice.session.commands.v1"
SESSION_REPORTS = "sluice.session.reports.v1"
CONTROL = "sluice.control.v1"
RISK_STATE = "sluice.risk.state.v1"
RISK_DEFERRALS = "sluice.risk.deferrals.v1"
DLQ = "sluice.dlq.v1"
MD_HISTORY_REQUESTS = "sluice.md.history.requests.v1"
MD_HISTORY_REPLIES = "sluice.md.history.replies.v1"
BROKER_TRUTH = "sluice.broker.truth.v1"
ROUTER_CLAIMS = "sluice.router.claims.v1"
RISK_OUTBOX = "sluice.risk.outbox.v1"

_SPECS = (
    TopicSpec(SIGNALS, SignalsEvent, "strategy_id", ("strategies",), "Trade signals and cancels."),
    TopicSpec(ORDERS_APPROVED, RouterCommand, "account", ("risk",), "Risk-approved commands."),
    TopicSpec(ORDERS_EVENTS, OrderEvent, "account", ("risk", "order-router"), "Order lifecycle."),
    TopicSpec(
        MD_SUBSCRIPTIONS,
        SubscriptionEvent,
        "instrument",
        ("strategies", "risk"),
        "Quote subscriptions.",
    ),
    TopicSpec(MD_QUOTES, QuoteEvent, "instrument", ("market-data",), "Normalised quotes."),
    TopicSpec(
        MD_REQUESTS,
        MdRequest,
        "instrument",
        ("market-data",),
        "Streams asked of the router (compacted: the last request per instrument is the wish).",
        compacted=True,
        internal=True,
    ),
    TopicSpec(
        MD_TICKS,
        MdTick,
        "instrument",
        ("order-router",),
        "Raw ticks relayed from IBKR.",
        internal=True,
    ),
    TopicSpec(
        SESSION_STATE,
        SessionState,
        "account",
        ("session-keeper",),
        "Session verdict.",
        compacted=True,
    ),
    TopicSpec(
        SESSION_COMMANDS,
        SessionCommand,
        "account",
        ("session-keeper",),
        "Keeper to router.",
        internal=True,
    ),
    TopicSpec(
        SESSION_REPORTS,
        SessionReport,
        "account",
        ("order-router",),
        "Router to keeper.",
        internal=True,
    ),
    TopicSpec(
        CONTROL,
        ControlEvent,
        "account",
        ("operators",),
        "Kill switch and resume; accepting the broker's figures.",
    ),
    TopicSpec(
        RISK_STATE,
        RiskStateEvent,
        "account|instrument, order|id, account|id",
        ("risk",),
        "Positions and PnL; the risk service's changelog.",
        compacted=True,
        internal=True,
    ),
    TopicSpec(
        RISK_DEFERRALS,
        DeferralCheck,
        "account",
        ("risk",),
        "Risk's wake-up calls for deferred signals (a quote came, trading resumed, a deadline).",
        internal=True,
    ),
    TopicSpec(DLQ, DeadLetter, "original key", ("any service",), "Dead letters."),
    TopicSpec(
        MD_HISTORY_REQUESTS,
        HistoryRequest,
        "request_id",
        ("market-data",),
        "Historical bars asked of the router.",
        internal=True,
    ),
    TopicSpec(
        MD_HISTORY_REPLIES,
        HistoryReply,
        "request_id",
        ("order-router",),
        "The router's answers: bars or a refusal with the contract's reason.",
        internal=True,
    ),
    TopicSpec(
        BROKER_TRUTH,
        BrokerEvent,
        "account (broker_pnl: <account>/pnl)",
        ("order-router",),
        "What the broker holds: positions, every open order, the account summary; its PnL.",
        compacted=True,
    ),
    TopicSpec(
        ROUTER_CLAIMS,
        AccountClaim,
        "account",
        ("order-router",),
        "Which router owns each account (compacted: the latest claim per account).",
        compacted=True,
        internal=True,
    ),
    TopicSpec(
        RISK_OUTBOX,
        OutboxBatch,
        "consumer group",
        ("risk",),
        "Risk's outbox (bus-level, not an event of the contract): each decided batch's outputs "
        "and offsets, written before they are published.",
        compacted=True,
        internal=True,
        partitions=1,
    ),
)

TOPICS: dict[str, TopicSpec] = {spec.name: spec for spec in _SPECS}


def topic(name: str) -> TopicSpec:
    """The spec of a known topic; ``KeyError`` names the topic when it is not one of ours."""
    try:
        return TOPICS[name]
    except KeyError:
        raise KeyError(f"unknown topic {name!r}; known: {sorted(TOPICS)}") from None
