"""The simulated Client Portal session: SSO login, brokerage bridge, competition and expiry.

Two layers, as at IBKR: the SSO session (gone → 401 everywhere) and the brokerage session
behind ``/iserver`` (gone → 400 "no bridge"). ``ssoExpires`` counts down on the given clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AuthState:
    """What ``/iserver/auth/status`` and ``/tickle`` report."""

    logged_in: bool
    authenticated: bool
    connected: bool
    competing: bool
    sso_expires_ms: int
    message: str = ""


class CpSession:
    """One username's session; every transition is a method the routes or the control API call."""

    def __init__(
        self, clock: Callable[[], float], ttl_s: float = 86_400.0, *, authenticated: bool = True
    ) -> None:
        self._clock = clock
        self._ttl_s = ttl_s
        self._expires_at = clock() + ttl_s
        self._logged_in = True
        self._bridge = authenticated
        self._competing = False

    @property
    def logged_in(self) -> bool:
        """True while the SSO session exists and has not expired."""
        return self._logged_in and self._clock() < self._expires_at

    @property
    def bridged(self) -> bool:
        """True while ``/iserver`` has a brokerage session (authenticated and connected)."""
        return self.logged_in and self._bridge and not self._competing

    def state(self) -> AuthState:
        """The current status as IBKR reports it."""
        remaining = max(0.0, self._expires_at - self._clock()) if self._logged_in else 0.0
        message = "competing session" if self._competing else ""
        return AuthState(
            logged_in=self.logged_in,
            authenticated=self.bridged,
            connected=self.logged_in and self._bridge,
            competing=self._competing and self.logged_in,
            sso_expires_ms=int(remaining * 1000),
            message=message,
        )

    def open_bridge(self) -> bool:
        """``ssodh/init`` / ``reauthenticate``: (re)open the brokerage session, taking it back."""
        if not self.logged_in:
            return False
        self._bridge, self._competing = True, False
        return True

    def logout(self) -> None:
        """End the SSO session; everything answers 401 until a new login."""
        self._logged_in, self._bridge = False, False

    def login(self, *, bridge: bool = True) -> None:
        """A fresh login (control API: what the operator's browser login does; a new live
        session token in ``webapi`` mode, where the bridge waits for ssodh/init)."""
        self._logged_in, self._bridge, self._competing = True, bridge, False
        self._expires_at = self._clock() + self._ttl_s

    def compete(self) -> None:
        """Another login took the brokerage session."""
        self._competing = True

    def drop_bridge(self) -> None:
        """The brokerage session went away (nightly reset, gateway restart)."""
        self._bridge = False

    def expire_in(self, seconds: float) -> None:
        """Move the SSO expiry (control API); 0 expires the session now."""
        self._expires_at = self._clock() + seconds
