"""What listens on a port that is not an IB API socket: ``sluice doctor``'s second opinion.

IB Gateway closes a connection from an untrusted source address at once, before reading a
byte. Anything else that fails the API handshake is some other server, and saying which (TLS,
HTTP, Kafka, silent) turns "check Trusted IPs" into "wrong port". Three short probes, each on a
fresh connection: wait for the peer to speak or close; a TLS handshake; a Kafka ApiVersions
request (an HTTP server answers it with an HTTP error, so it tells HTTP apart too).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
from typing import Literal

CLOSES_AT_ONCE = None
"""``identify``'s answer for a peer that closes every connection without a word."""
_KAFKA_CORRELATION_ID = 0x51CE
_KAFKA_CLIENT_ID = b"sluice-doctor"
# ApiVersions (key 18) v0: size, api key, api version, correlation id, client id
_KAFKA_API_VERSIONS = struct.pack(
    f">ihhih{len(_KAFKA_CLIENT_ID)}s",
    2 + 2 + 4 + 2 + len(_KAFKA_CLIENT_ID), 18, 0, _KAFKA_CORRELATION_ID,
    len(_KAFKA_CLIENT_ID), _KAFKA_CLIENT_ID,
)  # fmt: skip
Seen = tuple[Literal["closed", "silent", "data"], bytes]


async def identify(host: str, port: int, timeout_s: float = 2.0) -> str | None:
    """A short description of what listens at ``host:port`` ("an HTTP server", ...), or
    ``CLOSES_AT_ONCE`` (None) when it closes each connection before anything is said."""
    kind, data = await _exchange(host, port, b"", timeout_s / 2)
    if kind == "closed":
        return CLOSES_AT_ONCE
    if kind == "data":
        return f"a server that speaks first ({_show(data)})"
    if await _speaks_tls(host, port, timeout_s):
        return "a TLS server (HTTPS, e.g. a Client Portal Gateway)"
    kind, data = await _exchange(host, port, _KAFKA_API_VERSIONS, timeout_s)
    if kind == "silent":
        return "a silent listener (it accepts connections and never answers)"
    if kind == "closed":
        return "a server that hangs up on an unknown request (not the IB API)"
    if data.startswith(b"HTTP/"):
        return "an HTTP server"
    if data[:1] == b"\x15" and data[1:2] == b"\x03":
        return "a TLS server (HTTPS, e.g. a Client Portal Gateway)"
    if len(data) >= 8 and struct.unpack(">i", data[4:8])[0] == _KAFKA_CORRELATION_ID:
        return "a Kafka broker"
    return f"an unknown protocol ({_show(data)})"


async def _exchange(host: str, port: int, request: bytes, wait_s: float) -> Seen:
    """Connect, send ``request``, and report what came back within ``wait_s``."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), wait_s)
    except (OSError, TimeoutError):
        return "closed", b""
    try:
        if request:
            writer.write(request)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        try:
            data = await asyncio.wait_for(reader.read(256), wait_s)
        except TimeoutError:
            return "silent", b""
        except ConnectionError:
            return "closed", b""
        return ("data", data) if data else ("closed", b"")
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _speaks_tls(host: str, port: int, timeout_s: float) -> bool:
    # Whether the peer completes a TLS handshake at all: who it claims to be does not matter here.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context), timeout_s
        )
    except (OSError, TimeoutError, ssl.SSLError):
        return False
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()
    return True


def _show(data: bytes) -> str:
    text = data[:24].decode("ascii", "backslashreplace").strip()
    return f"it said {text!r}"
