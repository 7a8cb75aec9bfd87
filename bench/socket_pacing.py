"""IB Gateway socket: the order-router's token bucket under a 10x burst.

Sends ten seconds' worth of requests at once through the router's paced ib_async client to
the TWS simulator (which enforces IBKR's 50 msg/s) and prints the rate the simulator saw.
Run: ``python -m bench.socket_pacing`` (or as a section of ``python -m bench``).
"""

from __future__ import annotations

import asyncio
import time

from sluice_order_router.adapters.socket.gateway import SocketGateway, SocketOptions
from sluice_sim.tws.config import TwsConfig
from sluice_sim.tws.server import TwsServer

RATE = 45.0
CLIENT_ID = 7


async def _burst(messages: int) -> tuple[float, int]:
    server = TwsServer(TwsConfig(port=0, pacing_msgs_per_s=50))
    await server.start()
    gateway = SocketGateway(
        SocketOptions(host="127.0.0.1", port=server.port, account="DU1234567",
                      client_id=CLIENT_ID, pacing_msgs_per_s=RATE)
    )  # fmt: skip
    try:
        await gateway.connect()
        seen = server.counters.messages_by_client
        base = seen[CLIENT_ID]
        started = time.perf_counter()
        for _ in range(messages):
            gateway.ib.client.reqCurrentTime()  # type: ignore[no-untyped-call]
        while seen[CLIENT_ID] - base < messages:  # noqa: ASYNC110  # the server counts
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - started
        violations = server.counters.pacing_violations[CLIENT_ID]
        return elapsed, violations
    finally:
        await gateway.close()
        await server.stop()


def main() -> None:
    """Print achieved rate against the configured one, and pacing violations."""
    messages = int(RATE * 10)
    elapsed, violations = asyncio.run(_burst(messages))
    rate = messages / elapsed
    print(f"ib gateway socket: burst of {messages} messages (10x {RATE:.0f}/s)")
    print(f"  elapsed            {elapsed:8.2f} s")
    print(f"  achieved rate      {rate:8.2f} msg/s  ({rate / RATE:.1%} of configured {RATE:.0f})")
    print(f"  pacing violations  {violations:8d}  (simulator limit 50 msg/s)")


if __name__ == "__main__":
    main()
