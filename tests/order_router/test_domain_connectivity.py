"""Which gateway messages move the link to IBKR, and what a new connection reports."""

from __future__ import annotations

from sluice_order_router.domain.connectivity import LINK_WIDE, Connectivity, LinkReport

LOST = "Connectivity between IB and Trader Workstation has been lost."


def started(link: Connectivity) -> LinkReport:
    link.socket_opening()
    return link.api_started(client_id=7)


def test_a_clean_start_reports_connected() -> None:
    link = Connectivity()
    assert not link.up
    assert started(link) == LinkReport("connected", None, "client id 7")
    assert link.up


def test_an_1100_during_the_handshake_is_not_overwritten_by_connected() -> None:
    link = Connectivity()
    link.socket_opening()
    assert link.gateway_said(LINK_WIDE, 1100, LOST) is None  # reported once the API is up
    assert link.api_started(client_id=7) == LinkReport("lost", 1100, LOST)
    assert not link.up
    restored = link.gateway_said(LINK_WIDE, 1102, "restored - data maintained")
    assert restored == LinkReport("restored_data_kept", 1102, "restored - data maintained")
    assert link.up


def test_a_restore_during_the_handshake_clears_the_outage() -> None:
    link = Connectivity()
    link.socket_opening()
    link.gateway_said(LINK_WIDE, 1100, LOST)
    link.gateway_said(LINK_WIDE, 1101, "restored - data lost")
    assert link.api_started(client_id=7).status == "connected"
    assert link.up


def test_only_link_wide_messages_move_the_link() -> None:
    link = Connectivity()
    started(link)
    assert link.gateway_said(42, 1100, LOST) is None  # about request 42 only
    assert link.gateway_said(LINK_WIDE, 2104, "Market data farm connection is OK") is None
    assert link.up
    assert link.gateway_said(LINK_WIDE, 1100, LOST) == LinkReport("lost", 1100, LOST)
    assert not link.up
    assert link.gateway_said(42, 1101, "restored") is None
    assert not link.up


def test_a_new_socket_forgets_the_last_one() -> None:
    link = Connectivity()
    started(link)
    link.gateway_said(LINK_WIDE, 1100, LOST)
    link.socket_closed()
    assert not link.up
    assert started(link).status == "connected"  # the gateway would have said 1100 again
    link.socket_closed()
    assert not link.up
