"""`sluice history`: bars from a running stack's market-data, as a table or JSON; the second
identical request is served from market-data's cache."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import Background, printed_urls, sluice
from tests.support.net import free_port, free_port_run


def test_history_prints_bars_then_serves_them_from_the_cache(tmp_path: Path) -> None:
    up = Background(
        tmp_path / "up.out",
        "up", "--http-port", str(free_port_run(4)), "--signals-port", str(free_port()),
        "--sim-port", "0",
    )  # fmt: skip
    try:
        url = printed_urls(up.wait_for("Ctrl-C stops"))["market-data"]
        up.wait_for("ready: the session is up")
        window = ("--duration", "1D", "--bar", "1h", "--end", "2026-12-01T15:00:00+00:00")
        table = sluice("history", "AAPL", *window, "--url", url)
        cached = sluice("history", "AAPL", *window, "--url", url, "--json")
        refused = sluice("history", "AAPL", "--bar", "7m", "--url", url)
    finally:
        up.stop()
    assert table.returncode == 0, table.stderr
    assert "AAPL 1h bars over 1D" in table.stdout and "(cached)" not in table.stdout
    assert "2026-12-01T14:00:00Z" in table.stdout  # the last bar of the window
    body = json.loads(cached.stdout)
    assert (body["cached"], len(body["bars"])) == (True, 24)
    assert refused.returncode == 1
    assert "no bars: INVALID_REQUEST" in refused.stderr
