"""The simulators log every fault they inject, serve every control verb over HTTP, and run side
by side (the TWS simulator's control API takes a free port and prints it)."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from sluice_sim.cp import CpSimConfig, CpSimulator
from sluice_sim.cp.limits import DEFAULT_LIMITS, RateGate
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.control import TwsControl
from sluice_sim.tws.server import TwsServer
from tests.support.cli import ENV, SLUICE

WALL_CLOCK = re.compile(r"until \d\d:\d\d:\d\d UTC")


def test_a_tickle_a_second_never_lands_in_the_penalty_box() -> None:
    gate = RateGate(DEFAULT_LIMITS, penalty_s=600)
    # a client sleeping 1 s between tickles: arrivals jitter a little either side of 1 s
    arrivals = [0.0, 0.97, 2.0, 2.96, 4.0]
    assert [gate.admit("c", "GET /tickle", t) for t in arrivals] == [None] * len(arrivals)


def test_two_quick_tickles_box_the_caller_with_a_warning_naming_the_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = RateGate(DEFAULT_LIMITS, penalty_s=600)
    assert gate.admit("c", "GET /tickle", 0.0) is None
    with caplog.at_level(logging.WARNING):
        assert gate.admit("c", "GET /tickle", 0.2) == 600
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "penalty box: c" in record.message and "GET /tickle" in record.message
    assert WALL_CLOCK.search(record.message), record.message


@pytest.fixture
async def cp() -> AsyncIterator[CpSimulator]:
    sim = CpSimulator(CpSimConfig(penalty_s=600))
    await sim.start()
    yield sim
    await sim.stop()


def _https(sim: CpSimulator) -> httpx.AsyncClient:
    context = ssl.create_default_context(cafile=str(sim.cert_path))
    return httpx.AsyncClient(base_url=f"https://localhost:{sim.port}", verify=context, timeout=10)


async def test_cp_control_verbs_over_http(
    cp: CpSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with _https(cp) as http:
        assert (await http.get("/v1/api/tickle")).status_code == 200
        assert (await http.get("/v1/api/tickle")).status_code == 429
        assert (await http.get("/v1/api/sso/validate")).status_code == 429  # boxed
        assert (await http.post("/_sim/release", json={"ip": "127.0.0.1"})).status_code == 200
        assert (await http.get("/v1/api/sso/validate")).status_code == 200

        await http.post("/_sim/allow", json={"ips": ["127.0.0.9"]})
        assert (await http.get("/v1/api/iserver/auth/status")).status_code == 403
        await http.post("/_sim/allow", json={"ips": None})

        body = {"status": 503, "path_prefix": "/iserver", "body": {"error": "maintenance"}}
        await http.post("/_sim/fault", json=body)
        down = await http.post("/v1/api/iserver/auth/status")
        assert (down.status_code, down.json()) == (503, {"error": "maintenance"})

        await http.post("/_sim/session/expire", json={"seconds": 3600})
        assert 0 < cp.state.session.state().sso_expires_ms <= 3_600_000
        assert (await http.post("/_sim/session/nonsense")).status_code == 404
    logged = "\n".join(r.message for r in caplog.records)
    for seen in ("penalty box: 127.0.0.1", "released", "caller IPs now 127.0.0.9", "403",
                 "answer 503", "answered 503", "expires in 3600 s"):  # fmt: skip
        assert seen in logged, logged


async def test_tws_faults_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    server = TwsServer(TwsConfig(port=0))
    await server.start()
    control = TwsControl(server)
    try:
        with caplog.at_level(logging.WARNING):
            control.set_read_only(True)
            control.set_pacing(5)
            control.set_trusted_ips(["127.0.0.2"])
            control.hold_acks(True)
            control.drop_orders(2)
            control.lose_connectivity()
            control.restore_connectivity(data_lost=True)
            await control.restart(window=0)
            control.set_mid(265598, Decimal(191))  # moving the market is not a fault
    finally:
        await server.stop()
    logged = [r.message for r in caplog.records if r.levelno == logging.WARNING]
    assert len(logged) == 8, logged
    assert any("Read-Only API ON" in m for m in logged)
    assert any("127.0.0.2" in m for m in logged)
    assert any(WALL_CLOCK.search(m) for m in logged if m.startswith("restart"))


async def _start_tws_sim() -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        *SLUICE, "sim", "tws", "--port", "0", env=ENV,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 120)).decode()
        assert line, "the simulator exited before printing its control API"
        if found := re.search(r"control API on (http://\S+)", line):
            return process, found[1]


@pytest.mark.integration
async def test_two_tws_simulators_run_side_by_side() -> None:
    started = await asyncio.gather(_start_tws_sim(), _start_tws_sim())
    try:
        urls = [url for _, url in started]
        assert urls[0] != urls[1]
        async with httpx.AsyncClient(timeout=10) as http:
            for url in urls:
                assert (await http.get(f"{url}/counters")).status_code == 200
    finally:
        for process, _ in started:
            process.terminate()
            await process.wait()
