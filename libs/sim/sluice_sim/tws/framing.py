"""TWS framing: a 4-byte big-endian length, then NUL-terminated text fields."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Sequence

API_PREFIX = b"API\0"
MAX_MESSAGE = 16 * 1024 * 1024


class ProtocolError(Exception):
    """The peer sent something that is not the TWS protocol."""


def frame(fields: Sequence[str]) -> bytes:
    """Encode one message: each field NUL-terminated, the whole length-prefixed."""
    body = "".join(f"{f}\0" for f in fields).encode()
    return struct.pack(">I", len(body)) + body


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """Read one length-prefixed frame (raises IncompleteReadError at EOF)."""
    (size,) = struct.unpack(">I", await reader.readexactly(4))
    if size > MAX_MESSAGE:
        raise ProtocolError(f"frame of {size} bytes")
    return await reader.readexactly(size)


async def read_message(reader: asyncio.StreamReader) -> list[str]:
    """Read one message and split it into its fields."""
    body = (await read_frame(reader)).decode(errors="replace")
    fields = body.split("\0")
    if fields and fields[-1] == "":
        fields.pop()
    return fields


async def read_handshake(reader: asyncio.StreamReader) -> tuple[int, int]:
    """Read ``API\\0`` + a framed ``vMIN..MAX[ options]``; returns (min, max) client versions."""
    if await reader.readexactly(len(API_PREFIX)) != API_PREFIX:
        raise ProtocolError("missing API prefix")
    text = (await read_frame(reader)).decode(errors="replace")
    spec = text.split(" ", 1)[0]
    if not spec.startswith("v"):
        raise ProtocolError(f"bad version range {text!r}")
    low, _, high = spec[1:].partition("..")
    try:
        return int(low), int(high or low)
    except ValueError:
        raise ProtocolError(f"bad version range {text!r}") from None
