"""The session-keeper's egress check at start does not spend the router's one /sso/validate a
minute: a check that passed within that minute answers it (IBKR's real limits here)."""

from __future__ import annotations

import asyncio

from sluice_order_router.adapters.rest import RestGateway
from sluice_proto.session import EgressReport
from tests.egress.fixtures import cp_simulator, rest_settings
from tests.support.gateway import ACCOUNT


async def test_a_keeper_check_within_the_minute_reuses_the_passed_check() -> None:
    reports: list[object] = []

    async def record(report: object) -> None:
        reports.append(report)

    async with cp_simulator(allowlist=None) as sim:
        settings = rest_settings(sim, None, SLUICE_EXPECTED_EGRESS_IP="127.0.0.1")
        gateway = RestGateway(settings, ACCOUNT, on_session_report=record)  # IBKR's limits
        try:
            await asyncio.wait_for(gateway.connect(), 30)
            # A second real /sso/validate would wait out IBKR's minute: this must not.
            answer = await asyncio.wait_for(gateway.session_command("check_egress"), 10)
        finally:
            await gateway.close()
        validations = sum(
            n for path, n in sim.control.counters()["endpoints"].items() if "sso/validate" in path
        )
    assert isinstance(answer, EgressReport) and answer.ok, answer
    assert validations == 1
    egress = [r for r in reports if isinstance(r, EgressReport)]
    assert [r.ok for r in egress] == [True, True]  # the keeper still gets its report
