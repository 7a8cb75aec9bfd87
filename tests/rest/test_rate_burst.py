"""A burst of 100 REST calls stays inside IBKR's 10 req/s: the simulator answers no 429."""

from __future__ import annotations

import pytest

from tests.rest.burst import burst

pytestmark = pytest.mark.integration


async def test_a_burst_of_100_calls_gets_no_429() -> None:
    result = await burst(100)
    assert result.statuses == {"200": 100}
