"""IBKR's Diffie-Hellman exchange for the live session token (hand-written integer maths).

``cryptography``'s DH API loads the parameters but only exchanges with its own key objects and
returns the shared secret padded to the prime's length; IBKR needs the raw integers (the challenge
as hex, the response as hex) and the secret as Java's ``BigInteger.toByteArray()``, so the three
one-line formulas below are written out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

RANDOM_BITS = 256


@dataclass(frozen=True, slots=True)
class DhGroup:
    """The prime ``p`` and generator ``g`` from the consumer's ``dhparam.pem``."""

    p: int
    g: int


def new_exponent() -> int:
    """The client's secret ``a``: a random 256-bit integer (fresh for every token)."""
    return secrets.randbits(RANDOM_BITS)


def challenge(group: DhGroup, a: int) -> str:
    """``g^a mod p`` as lowercase hex without prefix (``diffie_hellman_challenge``)."""
    return format(pow(group.g, a, group.p), "x")


def shared_secret(group: DhGroup, a: int, response_hex: str) -> int:
    """``K = B^a mod p`` from the server's ``diffie_hellman_response`` (hex)."""
    b = int(response_hex, 16)
    if not 1 < b < group.p - 1:
        raise ValueError("diffie_hellman_response is out of range")
    return pow(b, a, group.p)


def java_bytes(k: int) -> bytes:
    """``BigInteger.toByteArray()`` of a non-negative ``k``: minimal big-endian two's complement,
    so a leading 0x00 when the top bit of the first byte is set."""
    return k.to_bytes(k.bit_length() // 8 + 1, "big")
