"""Reply prompts: which precautionary questions an order triggers, and the pending answers.

IBKR answers some order submissions with ``[{id, message[], messageIds[]}]`` instead of an
order id; each must be confirmed with ``POST /iserver/reply/{id}``, and a confirmation may
bring the next prompt of a chain. The texts here are the simulator's own wording.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

PROMPT_TEXTS: dict[str, str] = {
    "o163": "The limit price is more than 3% away from the market. Submit anyway?",
    "o354": "You are submitting an order without market data. Submit anyway?",
    "o383": "The order size exceeds your size limit. Submit anyway?",
    "o451": "The order value exceeds your total value limit. Submit anyway?",
}


@dataclass(frozen=True, slots=True)
class PromptRules:
    """Thresholds of the built-in precautionary checks."""

    size_limit: Decimal = Decimal(500)
    value_limit: Decimal = Decimal(1_000_000)
    price_band: Decimal = Decimal("0.03")


def prompts_for(
    rules: PromptRules, quantity: Decimal, limit_price: Decimal | None, mid: Decimal
) -> list[str]:
    """The message ids an order triggers by the built-in checks, in IBKR's order."""
    ids = []
    if limit_price is not None and abs(limit_price - mid) > mid * rules.price_band:
        ids.append("o163")
    if quantity > rules.size_limit:
        ids.append("o383")
    if quantity * (limit_price or mid) > rules.value_limit:
        ids.append("o451")
    return ids


@dataclass(slots=True)
class Pending:
    """An order waiting for answers: what was asked and the prompts still to come."""

    order: dict[str, Any]
    account: str
    chain: deque[str] = field(default_factory=deque)


class PromptBook:
    """Open prompts by reply id; ids are seeded so a run is reproducible."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._open: dict[str, Pending] = {}

    def ask(self, pending: Pending) -> list[dict[str, Any]]:
        """Pop the next prompt of ``pending``'s chain and answer it in IBKR's shape."""
        message_id = pending.chain.popleft()
        reply_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        self._open[reply_id] = pending
        text = PROMPT_TEXTS.get(message_id, f"Simulated precautionary prompt {message_id}.")
        return [
            {"id": reply_id, "message": [text], "isSuppressed": False, "messageIds": [message_id]}
        ]

    def take(self, reply_id: str) -> Pending | None:
        """The order behind a reply id, once; None for a stale or unknown id."""
        return self._open.pop(reply_id, None)
