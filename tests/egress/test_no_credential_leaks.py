"""The proxy credentials never appear in logs, events, reports or exception text."""

from __future__ import annotations

import logging
import traceback
from decimal import Decimal

import msgspec
import pytest

from sluice_order_router.ports import NotConnectedError
from sluice_proto import ApprovedOrder, Instrument, codec
from tests.egress.fixtures import ACCOUNT, ShieldProxy, cp_simulator, gateway, rest_settings

pytestmark = pytest.mark.integration

AAPL = Instrument(symbol="AAPL", con_id=265598)


async def test_credentials_are_absent_from_everything_captured(
    shield: ShieldProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpcore's DEBUG trace is where SOCKS auth would show
    events: list[msgspec.Struct] = []
    errors: list[BaseException] = []

    async def record(event: msgspec.Struct) -> None:
        events.append(event)

    wrong_password = shield.url.replace(shield.password, shield.password[::-1])
    bad_name = shield.url.replace(shield.user, shield.user + "x")
    async with cp_simulator() as sim:
        sim.control.script_prompts(["o10001"])
        for url in (
            shield.url,
            wrong_password,
            bad_name,
            shield.url.replace(str(shield.port), "1"),
        ):
            gw = gateway(rest_settings(sim, url), on_audit=record, on_session_report=record)
            gw.set_callbacks(record, record, record)  # type: ignore[arg-type]
            try:
                await gw.establish()
                for command in ("tickle", "auth_status", "check_egress"):
                    await gw.session_command(command)
                order = ApprovedOrder(
                    client_order_id="leak-1",
                    strategy_id="s",
                    signal_id="1",
                    account=ACCOUNT,
                    instrument=AAPL,
                    side="BUY",
                    quantity=Decimal(1),
                    order_type="MKT",
                )
                await gw.place(order, AAPL)
            except Exception as exc:  # collected: every failure's text is checked below
                errors.append(exc)
            finally:
                await gw.close()

    assert any(isinstance(e, NotConnectedError) for e in errors)  # the bad doors failed
    captured = [
        caplog.text,
        *(r.getMessage() for r in caplog.records),
        *(codec.encode(e).decode() for e in events),
        *(repr(e) for e in errors),
        *("".join(traceback.format_exception(e)) for e in errors),
    ]
    assert any("setup_socks5_connection" in text for text in captured)  # the trace did run
    reversed_password = shield.password[::-1]
    for secret in (shield.user, shield.password, reversed_password):
        leaks = [text for text in captured if secret in text]
        assert leaks == [], f"secret leaked into: {leaks[:1]}"
