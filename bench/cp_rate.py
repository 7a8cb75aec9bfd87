"""Client Portal REST: the rate the router's shared limiter achieves against IBKR's 10 req/s.

Run: ``python -m bench.cp_rate`` (or as a section of ``python -m bench``).
"""

from __future__ import annotations

import asyncio

from tests.rest.burst import burst

LIMIT_PER_S = 10.0


def main() -> None:
    """Print the achieved request rate of a 100-call burst and the simulator's answers."""
    result = asyncio.run(burst(100))
    print("client portal rest: burst of", result.calls, "calls")
    print(f"  elapsed        {result.seconds:8.2f} s")
    print(
        f"  achieved rate  {result.rate:8.2f} req/s  (limit {LIMIT_PER_S:.0f} req/s, "
        f"{result.rate / LIMIT_PER_S:.0%} of it)"
    )
    print(f"  answers        {result.statuses}  (429s: {result.statuses.get('429', 0)})")


if __name__ == "__main__":
    main()
