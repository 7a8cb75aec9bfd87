"""The session-keeper's Prometheus metrics, read from its state machines at scrape time.

Each keeper instance (active or standby) reports what it sees, so a dashboard or an alert
takes the max over instances per account.
"""

from __future__ import annotations

from typing import get_args

from sluice_proto.session import EgressStatus, SessionStateName
from sluice_runtime.metrics import MetricSet, Sampled, Samples
from sluice_session_keeper.domain import SessionMachine
from sluice_session_keeper.domain.machine import Verdict, egress_status
from sluice_session_keeper.service import SessionKeeper

_STATES: tuple[SessionStateName, ...] = get_args(SessionStateName)
_EGRESS: tuple[EgressStatus, ...] = get_args(EgressStatus)


def _one_hot(account: str, current: str, names: tuple[str, ...]) -> Samples:
    """1 for the current value, 0 for the others (so a state change shows as a step)."""
    return (((account, name), float(name == current)) for name in names)


def _egress_of(machine: SessionMachine) -> str:
    return "unchecked" if machine.egress is None else egress_status(machine.egress)


class KeeperMetrics(MetricSet):
    """Session state, ``trading_allowed`` and the egress verdict per account."""

    def __init__(self, keeper: SessionKeeper) -> None:
        super().__init__()

        def verdicts() -> list[tuple[str, Verdict]]:
            now = keeper.clock()
            return [(m.account, m.verdict(now)) for m in list(keeper.machines.values())]

        self.add(
            Sampled(
                "sluice_session_state",
                "1 for the account's current session state, 0 for the other states.",
                ["account", "state"],
                lambda: (s for a, v in verdicts() for s in _one_hot(a, v.state, _STATES)),
            )
        )
        self.add(
            Sampled(
                "sluice_session_trading_allowed",
                "1 while the account may take new orders (session UP), else 0.",
                ["account"],
                lambda: (((a,), float(v.trading_allowed)) for a, v in verdicts()),
            )
        )
        self.add(
            Sampled(
                "sluice_egress_verdict",
                "1 for the account's last egress-IP verdict (ok | mismatch | unknown | "
                "unchecked), 0 for the others.",
                ["account", "status"],
                lambda: (
                    s
                    for m in list(keeper.machines.values())
                    for s in _one_hot(m.account, _egress_of(m), _EGRESS)
                ),
            )
        )
