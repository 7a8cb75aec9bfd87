"""The reply-prompt policy: which IBKR questions the router may answer "yes" to (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Decision = Literal["confirmed", "declined"]


@dataclass(frozen=True, slots=True)
class Prompt:
    """One reply prompt: the reply id to answer, its message ids and texts."""

    reply_id: str
    message_ids: tuple[str, ...]
    text: tuple[str, ...]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Prompt:
        return cls(
            reply_id=str(raw["id"]),
            message_ids=tuple(str(m) for m in raw.get("messageIds") or ()),
            text=tuple(str(m) for m in raw.get("message") or ()),
        )


@dataclass(frozen=True, slots=True)
class ReplyPolicy:
    """Confirm a prompt only when every one of its message ids is allow-listed."""

    allow: frozenset[str]

    def decide(self, prompt: Prompt) -> Decision:
        known = bool(prompt.message_ids) and set(prompt.message_ids) <= self.allow
        return "confirmed" if known else "declined"
