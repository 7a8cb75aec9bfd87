"""The session-keeper's pure core: reset windows, report health, backoff, the state machine."""

from sluice_session_keeper.domain.machine import SessionMachine, Step, Verdict
from sluice_session_keeper.domain.policy import KeeperPolicy
from sluice_session_keeper.domain.windows import ResetCalendar, Window, WindowSpec

__all__ = [
    "KeeperPolicy",
    "ResetCalendar",
    "SessionMachine",
    "Step",
    "Verdict",
    "Window",
    "WindowSpec",
]
