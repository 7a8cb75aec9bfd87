"""Reply prompts: which precautionary questions an order triggers, and the pending answers.

IBKR answers some order submissions with ``[{id, message[], messageIds[]}]`` instead of an
order id; each must be confirmed with ``POST /iserver/reply/{id}``, and a confirmation may
bring the next prompt of a chain. The texts are IBKR's own (line breaks included), so a client
that answers by text, as IBind does, works unmodified; sources in docs/simulators.md.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

SURE = "Are you sure you want to submit this order?"


@dataclass(frozen=True, slots=True)
class PromptRules:
    """Thresholds of the built-in precautionary checks (IBKR's Precautionary Settings).

    ``stop_prompts`` adds IBKR's stop-order questions (o10331 for every stop, o403 for one
    whose trigger is already through the market); off by default, as on an account that
    suppressed them.
    """

    size_limit: Decimal = Decimal(500)
    value_limit: Decimal = Decimal(1_000_000)
    price_band: Decimal = Decimal("0.03")
    stop_prompts: bool = False


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What IBKR's prompt texts quote of an order."""

    side: str
    quantity: Decimal
    symbol: str
    listing: str
    price: Decimal | None
    value: Decimal
    currency: str = "USD"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _describe(facts: OrderFacts) -> str:
    return f"{facts.side} {_number(facts.quantity)} {facts.symbol} {facts.listing}"


def prompt_text(message_id: str, facts: OrderFacts, rules: PromptRules) -> str:
    """IBKR's text for ``message_id`` about the order ``facts``; a generic one for ids whose
    text could not be sourced."""
    order = _describe(facts)
    if message_id == "o163":
        price = f" @ {_number(facts.price)}" if facts.price is not None else ""
        band = _number(rules.price_band * 100)
        return (
            f'The following order "{order}{price}" price exceeds \n'
            f"the Percentage constraint of {band}%.\n{SURE}"
        )
    if message_id == "o383":
        limit = _number(rules.size_limit)
        return f"The following order {order} size exceeds the Size Limit of {limit}.\n{SURE}"
    if message_id == "o451":
        return (
            f"The following order {order} value estimate of {facts.value:,.2f} "
            f"{facts.currency} exceeds \nthe Total Value Limit of "
            f"{rules.value_limit:,.0f} {facts.currency}.\n{SURE}"
        )
    text = FIXED_TEXTS.get(message_id)
    return text if text is not None else f"Simulated precautionary prompt {message_id}.\n{SURE}"


FIXED_TEXTS: dict[str, str] = {
    "o354": (
        "You are submitting an order without market data. We strongly recommend against this "
        f"as it may result in erroneous and unexpected trades.\n{SURE}"
    ),
    "o403": f"This order will most likely trigger and fill immediately.\n{SURE}",
    "o10164": (
        "Traders are responsible for understanding cash quantity details, which are provided "
        f"on a best efforts basis only.\n{SURE}"
    ),
    "o10331": (
        "You are about to submit a stop order. Please be aware of the various stop order types "
        f"available and the risks associated with each one.\n{SURE}"
    ),
    "p6": (
        "This order will be distributed over multiple accounts. We strongly suggest you "
        "familiarize yourself with our allocation facilities before submitting orders."
    ),
    "o10153": (  # as IBind quotes it; its middle reads garbled there and is not corrected
        "<h4>Confirm Mandatory Cap Price</h4>To avoid trading at a price that is not consistent "
        "with a fair and orderly market, IB may set a cap (for a buy order) or sell order). THIS "
        "MAY CAUSE AN ORDER THAT WOULD OTHERWISE BE MARKETABLE TO NOT BE TRADED."
    ),
    "o10223": (
        "<h4>Cash Quantity Order Confirmation</h4>Orders that express size using a monetary value "
        "(cash quantity) are provided on a non-guaranteed basis. The system simulates the order "
        "by cancelling it once the specified amount is spent (for buy orders) or collected (for "
        "sell orders). In addition to the monetary value, the order uses a maximum size that is "
        "calculated using the Cash Quantity Estimate Factor, which you can modify in Presets."
    ),
    "p12": (  # the literal backslash-n is in the text as quoted
        "If your order is not immediately executable, our systems may, depending on market "
        "conditions, reject your order if its limit price is more than the allowed amount away "
        "from the reference price at that time. If this happens, you will not receive a fill. "
        "This is a control designed to ensure that we comply with our regulatory obligations to "
        "avoid submitting disruptive orders to the marketplace.\\nUse the Price Management Algo?"
    ),
}
"""Texts that quote nothing of the order."""

_STOPS = frozenset({"STP", "STP LMT"})


def prompts_for(
    rules: PromptRules, facts: OrderFacts, *, order_type: str, stop: Decimal | None, mid: Decimal
) -> list[str]:
    """The message ids an order triggers by the built-in checks, in IBKR's order."""
    limit_price, quantity = facts.price, facts.quantity
    ids = []
    if limit_price is not None and abs(limit_price - mid) > mid * rules.price_band:
        ids.append("o163")
    if quantity > rules.size_limit:
        ids.append("o383")
    if facts.value > rules.value_limit:
        ids.append("o451")
    if rules.stop_prompts and order_type in _STOPS:
        ids.append("o10331")
        through = stop is not None and (stop <= mid if facts.side == "BUY" else stop >= mid)
        if through:
            ids.append("o403")
    return ids


@dataclass(slots=True)
class Pending:
    """An order waiting for answers: what was asked and the prompts still to come."""

    order: dict[str, Any]
    account: str
    facts: OrderFacts
    chain: deque[str] = field(default_factory=deque)
    modifies: int | None = None
    """The perm id (the Client Portal's order id) of the order this modifies; None: new."""
    children: list[dict[str, Any]] = field(default_factory=list)
    """The rest of the order list (a bracket's children): placed with ``order``."""


class PromptBook:
    """Open prompts by reply id; ids are seeded so a run is reproducible."""

    def __init__(self, seed: int, rules: PromptRules) -> None:
        self._rng = random.Random(seed)
        self._rules = rules
        self._open: dict[str, Pending] = {}

    def ask(self, pending: Pending) -> list[dict[str, Any]]:
        """Pop the next prompt of ``pending``'s chain and answer it in IBKR's shape."""
        message_id = pending.chain.popleft()
        reply_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        self._open[reply_id] = pending
        text = prompt_text(message_id, pending.facts, self._rules)
        return [
            {"id": reply_id, "message": [text], "isSuppressed": False, "messageIds": [message_id]}
        ]

    def take(self, reply_id: str) -> Pending | None:
        """The order behind a reply id, once; None for a stale or unknown id."""
        return self._open.pop(reply_id, None)
