"""IBKR's market-data refusals become the contract's reasons; notices do not."""

from __future__ import annotations

import pytest

from sluice_order_router.domain.md_refusals import md_refusal


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (200, "UNKNOWN_INSTRUMENT"),
        (101, "LINE_LIMIT"),
        (354, "NOT_SUBSCRIBED"),
        (10168, "NOT_SUBSCRIBED"),
        (10089, "NO_PERMISSION"),
    ],
)
def test_a_refusal_code_has_a_reason(code: int, reason: str) -> None:
    assert md_refusal(code) == reason


@pytest.mark.parametrize("code", [10167, 2104, None])
def test_a_notice_or_no_code_has_none(code: int | None) -> None:
    assert md_refusal(code) is None
