"""A stand-in for QuotaGuard Shield: pproxy's SOCKS5 server, run as its own process.

Usage: ``python shield_proxy.py PORT USER:PASS OUT_ADDR``. It listens on 127.0.0.1:PORT,
requires the username/password, binds its outgoing connections to OUT_ADDR (the "static IP"),
and alone can resolve names under ``.shield.test`` (to 127.0.0.1): a client that resolved
names itself instead of handing them to the proxy (socks5 instead of socks5h) cannot connect.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import pproxy.server

PROXY_ONLY_DOMAIN = ".shield.test"
_resolve = socket.getaddrinfo


def _proxy_side_dns(host: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(host, str) and host.endswith(PROXY_ONLY_DOMAIN):
        host = "127.0.0.1"
    return _resolve(host, *args, **kwargs)


if __name__ == "__main__":
    port, credentials, out_addr = sys.argv[1:4]
    socket.getaddrinfo = _proxy_side_dns
    # --auth 0: ask every connection for credentials (pproxy otherwise trusts an IP once authed).
    pproxy.server.main(
        ["-l", f"socks5://127.0.0.1:{port}/@{out_addr}#{credentials}", "-v", "--auth", "0"]
    )
