"""A /sso/validate that cannot run is "unknown", never a mismatch (and holds only while an
expected IP is configured)."""

from __future__ import annotations

import pytest

from sluice_order_router.adapters.rest.client import CpClient
from sluice_order_router.adapters.rest.limiter import SharedLimiter
from sluice_order_router.adapters.rest.session import check_egress
from sluice_order_router.adapters.rest.settings import RestSettings

UNREACHABLE = "https://127.0.0.1:9/v1/api"  # the discard port: nothing listens


@pytest.mark.parametrize(("expected", "holds"), [((), False), (("203.0.113.7",), True)])
async def test_an_unreachable_gateway_is_unknown_not_a_mismatch(
    expected: tuple[str, ...], holds: bool
) -> None:
    settings = RestSettings.model_validate(
        {"IBKR_CP_BASE_URL": UNREACHABLE, "IBKR_CP_TIMEOUT_S": 2}
    )
    client = CpClient(settings, SharedLimiter())
    try:
        report, failure = await check_egress(client, "DU1234567", expected)
    finally:
        await client.close()
    assert failure is not None
    assert (report.status, report.ok, report.path) == ("unknown", not holds, "rest")
    assert report.observed_ip is None
    assert "mismatch" not in report.message
    assert "egress unknown" in report.message
