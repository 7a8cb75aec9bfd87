"""How the REST path fails: each is a ``NotConnectedError`` (hold orders) or a rejection."""

from __future__ import annotations

from sluice_order_router.ports import NotConnectedError


class ProxyDownError(NotConnectedError):
    """The egress proxy cannot be reached or refused us; there is no direct fallback."""


class SessionLostError(NotConnectedError):
    """401: no Client Portal session (logged out or expired)."""


class NoBridgeError(NotConnectedError):
    """400 "no bridge": logged in, but no brokerage session behind ``/iserver``."""


class SourceRefusedError(NotConnectedError):
    """403: IBKR refused our source address (not the registered egress IP)."""


class EgressMismatchError(NotConnectedError):
    """IBKR sees an IP other than the expected one: trading stays disabled."""


class OAuthError(SessionLostError):
    """The Web API's OAuth 1.0a refused us or answered a live session token we must not use."""
