"""The kill switch cancels working orders and refuses new ones until resumed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sluice_proto import OrderRejected, Resume
from sluice_proto.topics import CONTROL
from tests.e2e.conftest import ADMIN_TOKEN
from tests.e2e.stack import ProcessStack

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]


async def killed(stack: ProcessStack) -> bool:
    response = await stack.http.get(stack.url("risk", "/kill-switch"))
    return stack.account in response.json()["killed"]


async def test_kill_switch_over_http_cancels_open_orders_and_resume_on_the_topic_lifts_it(
    stack: ProcessStack,
) -> None:
    quote = stack.recorder.quote("SPY")
    assert quote is not None and quote.bid is not None
    resting = await stack.signal(
        "SPY", "BUY", 10, "LMT", (quote.bid * Decimal("0.98")).quantize(Decimal("0.01"))
    )
    await stack.outcome(resting, until=frozenset({"order_accepted"}))

    kill_url = stack.url("risk", "/kill-switch")
    body = {"account": stack.account, "reason": "e2e drill"}
    refused = await stack.http.post(kill_url, json=body)
    assert refused.status_code == 401
    assert not await killed(stack)

    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    answer = await stack.http.post(kill_url, json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    assert (await stack.outcome(resting))[-1] == "order_cancelled"

    blocked = await stack.signal("AAPL", "BUY", 1)
    assert await stack.outcome(blocked) == ["order_rejected"]
    [rejected] = [
        m.event for m in stack.recorder.order_events(blocked.client_order_id)
        if isinstance(m.event, OrderRejected)
    ]  # fmt: skip
    assert rejected.reason_code == "KILL_SWITCH"

    resume = Resume(account=stack.account, operator="e2e", reason="drill over")
    await stack.operator.publish(CONTROL, resume, key=stack.account)

    async def lifted() -> bool:
        return not await killed(stack)

    await stack.until("risk to lift the kill switch", lifted, 10)
    after = await stack.signal("AAPL", "BUY", 1)
    assert (await stack.outcome(after))[-1] == "order_filled"
