"""The router's REST path: the Client Portal / Web API over httpx, through the egress door.

The gateway (httpx and the OAuth crypto) loads on first use: the router's settings import
``.settings`` from here, and the socket path never needs the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .gateway import RestGateway
    from .settings import RestSettings

__all__ = ["RestGateway", "RestSettings"]
_WHERE = {"RestGateway": ".gateway", "RestSettings": ".settings"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)
