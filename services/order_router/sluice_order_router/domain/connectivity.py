"""The gateway's own link to IBKR as it announces it on one socket, and what to report.

IB Gateway says 1100 (connectivity lost) and 1101/1102 (restored, data lost/kept) as link-wide
messages, with IBKR's "no request" id -1. A gateway whose upstream is down says 1100 again to a
client that connects during the outage, while the API is still starting; the report made once
the API is up must keep that, not overwrite it with "connected" (orders would go out into the
outage and come back 201). A 1100 tied to a request id is about that request only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sluice_proto.session import ConnectionStatus

LINK_WIDE = -1
"""The id IBKR puts on a message that belongs to no request."""

_ANNOUNCEMENTS: dict[int, ConnectionStatus] = {
    1100: "lost",
    1101: "restored_data_lost",
    1102: "restored_data_kept",
}


@dataclass(frozen=True, slots=True)
class LinkReport:
    """One change of the link, as the router reports it."""

    status: ConnectionStatus
    code: int | None
    message: str


class Connectivity:
    """Whether IBKR is reachable behind one API socket (pure: the adapter feeds it events)."""

    def __init__(self) -> None:
        self._api_up = False
        self._lost: LinkReport | None = None  # the gateway's 1100, until 1101/1102

    @property
    def up(self) -> bool:
        """The API is up and the gateway has not announced an outage since."""
        return self._api_up and self._lost is None

    def socket_opening(self) -> None:
        """A new socket: nothing is known until the gateway speaks or the API is up."""
        self._api_up = False
        self._lost = None

    def socket_closed(self) -> None:
        """The socket is gone; what the gateway said on it no longer holds."""
        self._api_up = False

    def gateway_said(self, req_id: int, code: int, text: str) -> LinkReport | None:
        """The report a gateway message makes; None when it is not a link-wide announcement.

        None as well while the API is starting: the announcement is kept for ``api_started``'s
        report, so each connection reports its state once, after the handshake.
        """
        status = _ANNOUNCEMENTS.get(code)
        if status is None or req_id != LINK_WIDE:
            return None
        report = LinkReport(status, code, text)
        self._lost = report if status == "lost" else None
        return report if self._api_up else None

    def api_started(self, client_id: int) -> LinkReport:
        """The report once the API handshake is over: "connected", unless the gateway
        announced an outage during it (then that announcement stands)."""
        self._api_up = True
        return self._lost or LinkReport("connected", None, f"client id {client_id}")
