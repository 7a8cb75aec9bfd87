"""Run benchmark sections: ``python -m bench [section ...]`` (all by default, in order).

A section is a module of this package with a ``main() -> None`` that prints its figures;
register it in ``SECTIONS`` to add one.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

SECTIONS: dict[str, str] = {
    "codec": "bench.codec",
    "bus": "bench.bus",
    "risk": "bench.risk",
    "cp_rate": "bench.cp_rate",
    "oauth_sign": "bench.oauth_sign",
    "socket_pacing": "bench.socket_pacing",
    "e2e": "bench.e2e",
    "quotes": "bench.quotes",
    "cli_start": "bench.cli_start",
    "chaos": "bench.chaos",
    "startup": "bench.startup",
    "hotpath": "bench.hotpath",
}


def main(argv: list[str] | None = None) -> None:
    """Parse the section names and run each, timing the whole."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "sections",
        nargs="*",
        choices=[*SECTIONS, []],
        metavar="section",
        help=f"any of: {', '.join(SECTIONS)} (default: all)",
    )
    chosen = parser.parse_args(argv).sections or list(SECTIONS)
    started = time.perf_counter()
    for name in chosen:
        print(f"== {name} ==", flush=True)
        importlib.import_module(SECTIONS[name]).main()
        print(flush=True)
    print(f"bench: {len(chosen)} section(s) in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
