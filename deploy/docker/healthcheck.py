"""Container health probe for images without curl: exit 0 when the target answers, 1 otherwise.

Usage (stdlib only, so it runs in every Sluice image):
    python healthcheck.py [/healthz]   GET http://127.0.0.1:$SLUICE_HTTP_PORT/<path>, expect 2xx
    python healthcheck.py tcp:4002     a TCP connect to 127.0.0.1:4002 succeeds (the simulators)
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 2.0


def http_ok(path: str, port: int) -> bool:
    """True when GET http://127.0.0.1:<port><path> answers 2xx within the timeout."""
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError):
        return False


def tcp_ok(port: int) -> bool:
    """True when a TCP connection to 127.0.0.1:<port> opens within the timeout."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S):
            return True
    except OSError:
        return False


def main(argv: list[str]) -> int:
    target = argv[1] if len(argv) > 1 else "/healthz"
    if target.startswith("tcp:"):
        healthy = tcp_ok(int(target.removeprefix("tcp:")))
    else:
        healthy = http_ok(target, int(os.environ.get("SLUICE_HTTP_PORT", "8080")))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
