"""The socket path's egress probe: ask an echo URL which IP our traffic leaves from.

IB Gateway speaks no HTTP and reports no caller IP, so the only way to see the address IBKR
sees is to leave through the same door (the bind address, or the NAT in front of this host) to
a service that echoes it back: e.g. https://api.ipify.org, or https://checkip.amazonaws.com.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

import httpx

from sluice_runtime.redaction import redact
from sluice_runtime.tracing import instrument_httpx


class EchoCheck:
    """One HTTPS GET, from the bind address when one is set; no environment proxies."""

    def __init__(
        self, url: str, *, bind_address: str | None = None, timeout_s: float = 10.0
    ) -> None:
        self.url = url
        self._bind_address = bind_address
        self._timeout_s = timeout_s

    async def observe(self) -> tuple[str | None, str | None]:
        """The IP the echo service saw, or None and why not."""
        instrument_httpx()
        transport = httpx.AsyncHTTPTransport(local_address=self._bind_address)
        try:
            async with httpx.AsyncClient(
                transport=transport, trust_env=False, timeout=self._timeout_s
            ) as client:
                response = await client.get(self.url)
        except httpx.HTTPError as exc:
            return None, redact(f"echo URL unreachable: {type(exc).__name__}: {exc}")
        if response.status_code != 200:
            return None, f"echo URL answered HTTP {response.status_code}"
        found = _ip_in(response)
        return (found, None) if found else (None, "echo URL answered without an IP address")


def _ip_in(response: httpx.Response) -> str | None:
    """Plain text (``203.0.113.7``) or JSON with an ``ip``/``IP`` field."""
    text = response.text.strip()
    try:
        body: Any = response.json()
    except ValueError:
        body = text
    if isinstance(body, dict):
        body = body.get("ip") or body.get("IP")
    candidate = str(body).strip() if body is not None else ""
    try:
        return str(ip_address(candidate))
    except ValueError:
        return None
