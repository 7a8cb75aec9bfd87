"""A minimal Sluice strategy in Python, on the strategy client (``sluice_client``).

It subscribes to a symbol's quotes, waits for a two-sided one, buys at market, waits for the
order's outcome and prints each step as one JSON line. With Sluice running on Kafka
(``sluice up`` with ``SLUICE_KAFKA_BOOTSTRAP`` set):

    .venv/bin/python examples/python/strategy.py --bootstrap localhost:9092 AAPL 1
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import msgspec

from sluice_client import SluiceClient, SluiceClientError, final_status


async def run(bootstrap: str, strategy_id: str, symbol: str, quantity: str) -> int:
    async with SluiceClient(bootstrap, strategy_id) as client:
        async with client.quotes(symbol) as quotes:
            async for quote in quotes:
                if quote.bid and quote.ask:  # a price risk can check the order against
                    print(f"quote {msgspec.json.encode(quote).decode()}", flush=True)
                    break
        signal = await client.signal(symbol, "BUY", quantity)
        print(f"signal {msgspec.json.encode(signal).decode()}", flush=True)
        async for event in client.lifecycle(signal):
            kind = type(event).__struct_config__.tag
            print(f"{kind} {msgspec.json.encode(event).decode()}", flush=True)
            if final_status(event) is not None:
                return 0 if final_status(event) == "filled" else 1
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("symbol", nargs="?", default="AAPL")
    parser.add_argument("quantity", nargs="?", default="1")
    parser.add_argument(
        "--bootstrap", default=os.environ.get("SLUICE_KAFKA_BOOTSTRAP", "localhost:9092")
    )
    parser.add_argument("--strategy", default="example-python")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait in all")
    args = parser.parse_args()
    work = run(args.bootstrap, args.strategy, args.symbol, args.quantity)
    try:
        return asyncio.run(asyncio.wait_for(work, args.timeout))
    except TimeoutError:
        print(f"no outcome within {args.timeout:.0f}s", file=sys.stderr)
        return 1
    except SluiceClientError as exc:  # no broker, Sluice not started: one line, not a traceback
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
