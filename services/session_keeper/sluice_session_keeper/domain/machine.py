"""One account's session state machine: router reports and the clock in; verdicts and commands out.

Pure: every method takes ``now``. The adapter applies every report (on every instance, so a
passive keeper is a hot standby) and calls ``tick`` only where it is the active keeper.

The router's liveness is judged by the keeper's own clock when a report arrives, never by the
report's ``ts`` (the router's clock, which may be skewed): a report received live proves the
router alive at ``now``. A report replayed from the log at the keeper's start proves nothing
about now, so ``replayed`` gives the router one silence bound from the end of the replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sluice_proto.codec import event_type
from sluice_proto.session import (
    ApiPath,
    AuthStatusReport,
    ConnectionReport,
    EgressReport,
    EgressStatus,
    RouterHeartbeat,
    SessionCommand,
    SessionCommandName,
    SessionState,
    SessionStateName,
)
from sluice_session_keeper.domain.backoff import RecoveryBackoff
from sluice_session_keeper.domain.health import (
    AWAITING_AUTH,
    UNKNOWN,
    Health,
    from_auth,
    from_connection,
    from_heartbeat,
    router_back,
    silent_router,
)
from sluice_session_keeper.domain.policy import KeeperPolicy
from sluice_session_keeper.domain.windows import ResetCalendar, Window

RouterReport = ConnectionReport | AuthStatusReport | EgressReport | RouterHeartbeat
_AUTH_TAG = str(AuthStatusReport.__struct_config__.tag)


@dataclass(frozen=True, slots=True)
class Verdict:
    """May the account trade now, and why (the content of ``SessionState``)."""

    state: SessionStateName
    reason: str

    @property
    def trading_allowed(self) -> bool:
        """Only a healthy session outside every reset window may take new orders."""
        return self.state == "UP"


@dataclass(frozen=True, slots=True)
class Step:
    """What the active keeper must publish after a tick."""

    state: SessionState | None = None
    commands: list[SessionCommand] = field(default_factory=list)


def egress_status(report: EgressReport) -> EgressStatus:
    """The report's status; older routers sent none (then no observed IP meant unknown)."""
    if report.status is not None:
        return report.status
    if report.ok:
        return "ok"
    return "mismatch" if report.observed_ip else "unknown"


def _egress_path(report: EgressReport | None) -> ApiPath | None:
    if report is None:
        return None
    return report.path or "rest"  # older routers checked egress on the REST path only


class SessionMachine:
    """The session of one account as the keeper sees it."""

    def __init__(
        self, account: str, policy: KeeperPolicy, calendar: ResetCalendar, now: datetime
    ) -> None:
        self.account = account
        self.policy = policy
        self.calendar = calendar
        self.health = UNKNOWN
        self.evidence_at: datetime | None = None
        self.egress: EgressReport | None = None
        self.last_reports: dict[str, RouterReport] = {}
        self.router_heard_at: datetime | None = None
        """When the keeper last received a report live (its clock); None: not yet."""
        self._router_back = False  # silent, then heard again: awaiting the router's word
        self.since = now
        self.next_tickle_at = now
        self.next_recovery_at = now
        self.next_egress_at = now
        self._state: SessionStateName = UNKNOWN.state
        self._backoff = RecoveryBackoff(policy.backoff_initial, policy.backoff_cap)
        self._window: Window | None = None
        self._published: SessionState | None = None

    def apply(self, report: RouterReport, now: datetime, *, live: bool = True) -> None:
        """Take in one router report, received at ``now``; ``live=False`` for one replayed from
        the log (it tells what the router last said, not that it is alive)."""
        if live:
            self._heard(now)
        self.last_reports[event_type(report)] = report
        if isinstance(report, RouterHeartbeat):
            if self._router_back:
                health = from_heartbeat(report)
                self._router_back = not health.healthy
                self._set_health(health, now, now)
        elif isinstance(report, EgressReport):
            self.egress = report
        else:
            self._router_back = False
            if isinstance(report, ConnectionReport) and _egress_path(self.egress) != report.path:
                self.egress = None  # the router restarted on another path: that verdict is stale
            self._set_health(self._health_of(report), min(report.ts, now), now)
        self._observe(now)

    def replayed(self, now: datetime) -> None:
        """The keeper has replayed the log up to ``now``: a router it has heard of has one
        silence bound from now to show it is alive."""
        if self.last_reports:
            self.router_heard_at = now

    def router_silent(self, now: datetime) -> bool:
        """True when the router has sent nothing for longer than the policy's bound."""
        bound, heard = self.policy.router_silent_after, self.router_heard_at
        return bound is not None and heard is not None and now - heard > bound

    def _heard(self, now: datetime) -> None:
        if self.router_silent(now):
            # The router that went silent may be gone; a new process has not connected yet.
            self._router_back = True
            self._set_health(router_back(self.policy.path), now, now)
        self.router_heard_at = now

    def _health_of(self, report: ConnectionReport | AuthStatusReport) -> Health:
        if isinstance(report, AuthStatusReport):
            return from_auth(report, self.policy.expiring_below_s, self.policy.reclaim_competing)
        health = from_connection(report)
        if report.path != "rest" or not health.healthy:
            return health
        # A Client Portal transport that is up says nothing of the brokerage session: only an
        # auth status tells authenticated && connected, so the latest one decides.
        auth = self.last_reports.get(_AUTH_TAG)
        if not isinstance(auth, AuthStatusReport):
            return AWAITING_AUTH
        return replace(self._health_of(auth), penalty=False)  # its penalty box already runs

    def _set_health(self, health: Health, evidence_at: datetime, now: datetime) -> None:
        if health.healthy:
            self._backoff.reset()
        elif self.health.healthy or self.health is UNKNOWN:
            # Newly unhealthy: try at once, unless the last attempt's delay is still running.
            self.next_recovery_at = max(self.next_recovery_at, now)
        if health.penalty:
            self.next_recovery_at = max(self.next_recovery_at, now + self.policy.penalty_box)
            self.next_tickle_at = max(self.next_tickle_at, now + self.policy.penalty_box)
        self.health = health
        self.evidence_at = evidence_at

    def current_health(self, now: datetime) -> Health:
        """The latest report's health; ROUTER_SILENT when the router has gone quiet, or DOWN
        when REST reports have stopped arriving."""
        bound = self.policy.router_silent_after
        if bound is not None and self.router_heard_at is not None and self.router_silent(now):
            return silent_router(self.router_heard_at, bound)
        timeout = self.policy.report_timeout
        stale = self.evidence_at is not None and now - self.evidence_at > timeout
        if self.policy.path == "rest" and stale:
            silent = f"{timeout.total_seconds():.0f} s"
            reason = f"no session report from the order-router for over {silent}"
            return Health("DOWN", reason, "auth_status")
        return self.health

    def verdict(self, now: datetime) -> Verdict:
        """The session state now: egress that holds, a silent router, reset windows, health."""
        egress = self.egress
        if egress is not None and not egress.ok and egress_status(egress) == "mismatch":
            reason = f"IBKR sees {egress.observed_ip}, expected {egress.expected_ip}"
            return Verdict("EGRESS_MISMATCH", f"egress mismatch: {reason}")
        if egress is not None and not egress.ok and egress.expected_ip:
            return Verdict("UNKNOWN", egress.message or "egress unknown: the check could not run")
        if self.router_silent(now):  # before any window: a dead router needs an operator
            silent = self.current_health(now)
            return Verdict(silent.state, silent.reason)
        window = self.calendar.active(now)
        if window is not None:
            until = window.end.isoformat(timespec="minutes")
            return Verdict("RESET_WINDOW", f"{window.name} window until {until}; trading held")
        health = self.current_health(now)
        return Verdict(health.state, health.reason)

    def _observe(self, now: datetime) -> Verdict:
        verdict = self.verdict(now)
        if verdict.state != self._state:
            self._state, self.since = verdict.state, now
        return verdict

    def activate(self, now: datetime) -> None:
        """This instance just became the active keeper: act on the present at once."""
        self.next_tickle_at = self.next_recovery_at = self.next_egress_at = now
        self._window = self.calendar.active(now)
        self._published = None

    def tick(self, now: datetime) -> Step:
        """The active keeper's periodic step: commands that are due and a changed verdict."""
        window = self.calendar.active(now)
        if self._window is not None and window is None:  # a reset is over: look again now
            self._backoff.reset()
            self.next_tickle_at = self.next_recovery_at = now
        self._window = window
        commands = []
        if self.policy.path == "rest" and now >= self.next_tickle_at:
            commands.append(self._command("tickle", "keep-alive", now))
            self.next_tickle_at = now + self.policy.tickle_interval
        egress_every = self.policy.egress_check_interval
        if egress_every is not None and now >= self.next_egress_at:
            commands.append(self._command("check_egress", "periodic egress check", now))
            self.next_egress_at = now + egress_every
        health = self.current_health(now)
        recovery = health.recovery
        if recovery and not health.healthy and window is None and now >= self.next_recovery_at:
            commands.append(self._command(recovery, health.reason, now))
            delay = self.policy.penalty_box if health.penalty else self._backoff.next_delay()
            self.next_recovery_at = now + delay
        return Step(self.publication(now), commands)

    def publication(self, now: datetime) -> SessionState | None:
        """The verdict to publish when it changed or is due for re-assertion, else None."""
        verdict = self._observe(now)
        last = self._published
        unchanged = last is not None and (last.state, last.reason) == (
            verdict.state,
            verdict.reason,
        )
        if unchanged and last is not None and now - last.ts < self.policy.reassert_interval:
            return None
        self._published = SessionState(
            account=self.account,
            state=verdict.state,
            trading_allowed=verdict.trading_allowed,
            reason=verdict.reason,
            path=self.policy.path,
            since=self.since,
            ts=now,
        )
        return self._published

    def publication_failed(self) -> None:
        """The last verdict did not reach the bus: publish it again at the next chance."""
        self._published = None

    def _command(self, name: SessionCommandName, reason: str, now: datetime) -> SessionCommand:
        stamp = int(now.timestamp() * 1000)
        return SessionCommand(
            account=self.account,
            command=name,
            command_id=f"{self.account}:{name}:{stamp}",
            reason=reason,
            issued_at=now,
        )
