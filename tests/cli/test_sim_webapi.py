"""``sluice sim webapi`` as a user runs it: its own process, credentials the router can load."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import httpx

from sluice_order_router.adapters.rest.oauth.credentials import FILES, load_credentials
from tests.support.cli import ENV, SLUICE
from tests.support.net import free_port
from tests.support.polling import eventually


async def test_sim_webapi_writes_loadable_credentials_and_refuses_an_unsigned_call(
    tmp_path: Path,
) -> None:
    port, credentials = free_port(), tmp_path / "oauth"
    args = ["sim", "webapi", "--port", str(port), "--write-credentials", str(credentials)]
    args += ["--cert-dir", str(tmp_path / "tls"), "--consumer-key", "SLUICECLI"]
    process = subprocess.Popen(  # noqa: ASYNC220 (starts and returns at once)
        [*SLUICE, *args], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        await eventually(lambda: all((credentials / f).exists() for f in FILES), within=60)
        loaded = load_credentials(credentials, "test_realm")
        assert loaded.consumer_key == "SLUICECLI"

        pinned = ssl.create_default_context(cafile=tmp_path / "tls" / "cp-sim.crt")

        async def answers() -> httpx.Response | None:
            async with httpx.AsyncClient(verify=pinned) as client:
                try:
                    return await client.get(f"https://localhost:{port}/v1/api/sso/validate")
                except httpx.TransportError:
                    return None

        await eventually(answers, within=30, what="the simulator to answer")
        unsigned = await answers()
        assert unsigned is not None and unsigned.status_code == 401
        assert unsigned.json()["error"].endswith("invalid consumer")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"IBKR_OAUTH_DIR): {credentials}" in output
