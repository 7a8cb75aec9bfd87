"""Orders over the Client Portal: place and modify (answering reply prompts), cancel, and what
IBKR has."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec

from sluice_order_router.domain.broker import BrokerOrder, BrokerSnapshot
from sluice_order_router.domain.expiry import send_deadline
from sluice_order_router.ports import BrokerRejectedError, ExpiredUnsentError, NotConnectedError
from sluice_proto import ApprovedOrder, Fill, ReplyPromptAudit, SweptOrder, utc_now

from . import parsing
from .client import CpClient
from .prompts import Decision, Prompt, ReplyPolicy

OnAudit = Callable[[ReplyPromptAudit], Awaitable[None]]
MAX_PROMPTS = 5
"""Chains longer than this are declined: a loop of questions is not something to say yes to."""
SNAPSHOT_TRIES = 3


def _audit(order: ApprovedOrder, prompt: Prompt, decision: Decision) -> ReplyPromptAudit:
    return ReplyPromptAudit(
        client_order_id=order.client_order_id,
        account=order.account,
        strategy_id=order.strategy_id,
        signal_id=order.signal_id,
        symbol=order.instrument.symbol,
        reply_id=prompt.reply_id,
        message_ids=list(prompt.message_ids),
        text=list(prompt.text),
        decision=decision,
    )


async def place(
    client: CpClient, policy: ReplyPolicy, order: ApprovedOrder, con_id: int, on_audit: OnAudit
) -> BrokerOrder:
    """Submit once with ``cOID``; confirm allow-listed prompts, decline (and reject) the rest."""
    path = f"/iserver/account/{order.account}/orders"
    body = _body(parsing.order_body, order, con_id)
    [placed] = await _submit(
        client, policy, [order], on_audit, path=path, json=body, not_after=send_deadline(order)
    )
    return placed


async def place_bracket(
    client: CpClient, policy: ReplyPolicy, legs: list[ApprovedOrder], con_id: int,
    on_audit: OnAudit,
) -> list[BrokerOrder | BrokerRejectedError]:  # fmt: skip
    """Submit a bracket as one order list; IBKR answers each order in the list's order."""
    path = f"/iserver/account/{legs[0].account}/orders"
    body = _body(parsing.bracket_body, legs, con_id)
    deadline = send_deadline(legs[0])  # the legs go together or not at all
    return [*await _submit(client, policy, legs, on_audit, path=path, json=body,
                           not_after=deadline)]  # fmt: skip


async def modify(
    client: CpClient, policy: ReplyPolicy, order: ApprovedOrder, con_id: int, *,
    broker_order_id: str, on_audit: OnAudit,
) -> BrokerOrder:  # fmt: skip
    """Modify the working order ``broker_order_id`` to ``order``'s terms (IBKR's modify
    endpoint), answering reply prompts as for a placement; IBKR's refusal (e.g. the order
    filled first) raises ``BrokerRejectedError``."""
    path = f"/iserver/account/{order.account}/order/{broker_order_id}"
    body = parsing.modify_body(order, con_id)
    [modified] = await _submit(client, policy, [order], on_audit, path=path, json=body)
    return modified


def _body(build: Callable[[Any, int], dict[str, Any]], what: Any, con_id: int) -> dict[str, Any]:
    try:
        return build(what, con_id)
    except parsing.UnsupportedOnWebApiError as exc:
        raise BrokerRejectedError(None, str(exc)) from None


async def _submit(
    client: CpClient, policy: ReplyPolicy, sent: list[ApprovedOrder], on_audit: OnAudit, *,
    path: str, json: dict[str, Any], not_after: datetime | None = None,
) -> list[BrokerOrder]:  # fmt: skip
    """POST an order list (new, a bracket, or a modify), then its reply-prompt chain; IBKR's
    ids, one acknowledgement per order sent. Past ``not_after`` (the send deadline) neither
    the list nor a confirmation is posted, and a prompt is declined: IBKR places nothing until
    its prompts are confirmed, so ``ExpiredUnsentError`` each way."""
    order = sent[0]  # the prompts are about the list: audited under its first order
    body: Any = await client.request("POST", path, json=json, not_after=not_after)
    for _ in range(MAX_PROMPTS):
        if not parsing.is_prompt(body):
            break
        prompt = Prompt.from_json(body[0])
        decision = policy.decide(prompt)
        late = not_after is not None and utc_now() >= not_after
        await on_audit(_audit(order, prompt, "declined" if late else decision))
        confirmed = decision == "confirmed" and not late
        body = await client.request(
            "POST", f"/iserver/reply/{prompt.reply_id}", json={"confirmed": confirmed},
            not_after=not_after if confirmed else None,  # no confirmation goes out past it
        )  # fmt: skip
        if late:
            raise ExpiredUnsentError("a reply prompt came after the send deadline: declined")
        if not confirmed:
            ids = ",".join(prompt.message_ids) or "?"
            raise BrokerRejectedError(None, f"reply prompt {ids} declined: {' '.join(prompt.text)}")
    else:
        raise BrokerRejectedError(None, f"more than {MAX_PROMPTS} reply prompts; declined")
    error = parsing.error_text(body)
    if error is not None:
        raise BrokerRejectedError(None, error)
    acks = body if isinstance(body, list) else []
    if len(acks) != len(sent) or not all("order_id" in ack for ack in acks):
        raise BrokerRejectedError(None, f"unexpected order answer: {str(body)[:200]}")
    return [
        BrokerOrder(
            client_order_id=leg.client_order_id,
            broker_order_id=str(ack["order_id"]),
            perm_id=None,
            status="submitted",
        )
        for leg, ack in zip(sent, acks, strict=True)
    ]


async def cancel(client: CpClient, account: str, broker_order_id: str) -> None:
    """Ask IBKR to cancel; a refusal (unknown or finished order) raises ``BrokerRejectedError``."""
    body = await client.request("DELETE", f"/iserver/account/{account}/order/{broker_order_id}")
    error = parsing.error_text(body)
    if error is not None:
        raise BrokerRejectedError(None, error)


async def order_list(client: CpClient, account: str | None) -> list[dict[str, Any]]:
    """Today's orders of the account (None: of every account of the login), whoever placed
    them, repeating the pre-flight call until IBKR says the list is complete."""
    for _ in range(SNAPSHOT_TRIES):
        body = await client.request("GET", "/iserver/account/orders")
        if isinstance(body, dict) and body.get("snapshot"):
            listed = body.get("orders") or []
            return [o for o in listed if account is None or o.get("acct") in (None, account)]
    raise NotConnectedError("IBKR's order list stayed incomplete (pre-flight never finished)")


async def live_orders(client: CpClient) -> tuple[list[BrokerOrder], dict[str, str]]:
    """Today's orders with a ``cOID`` (Sluice's), of every account of the login; and the
    account of each (by ``cOID``)."""
    raw = [o for o in await order_list(client, None) if o.get("order_ref")]
    accounts = {str(o["order_ref"]): str(o["acct"]) for o in raw if o.get("acct")}
    return [parsing.broker_order(o) for o in raw], accounts


async def cancel_every_open(client: CpClient, account: str) -> list[SweptOrder]:
    """Cancel each working order of the account, Sluice's or not: the Client Portal has no
    global cancel. A refused cancel is noted on its order and the sweep goes on."""
    swept: list[SweptOrder] = []
    for raw in await order_list(client, account):
        if not parsing.is_working(raw):
            continue
        order = parsing.swept(raw, account)
        try:
            await cancel(client, account, order.broker_order_id)
        except BrokerRejectedError as exc:
            order = msgspec.structs.replace(order, refused=exc.text)
        swept.append(order)
    return swept


async def trades(client: CpClient) -> dict[str, list[Fill]]:
    """Executions by ``cOID`` (IBKR reports it as ``order_ref``)."""
    body = await client.request("GET", "/iserver/account/trades")
    fills: dict[str, list[Fill]] = {}
    for raw in body if isinstance(body, list) else []:
        ref = str(raw.get("order_ref") or "")
        if ref:
            fills.setdefault(ref, []).append(parsing.fill(raw))
    return fills


async def snapshot(client: CpClient) -> tuple[BrokerSnapshot, dict[str, str]]:
    """Everything IBKR knows about our orders, for reconciliation; and each one's account."""
    orders, accounts = await live_orders(client)
    snap = BrokerSnapshot(orders={o.client_order_id: o for o in orders}, fills=await trades(client))
    return snap, accounts
