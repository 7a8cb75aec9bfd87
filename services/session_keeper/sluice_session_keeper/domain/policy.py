"""The keeper's tunables, as plain values the state machine reads (no I/O, no env)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sluice_proto.session import ApiPath


@dataclass(frozen=True, slots=True)
class KeeperPolicy:
    """Cadences, thresholds and backoff of one account's session keeping.

    ``report_timeout`` applies to the REST path, where the router answers every tickle: no
    answer for that long means the router or the gateway is gone. The socket path reports
    changes only, so its last report stays true until the next one.

    ``router_silent_after`` bounds the order-router's silence on either path: a router that has
    sent nothing (heartbeats included) for longer is taken as gone and the account is halted
    (``ROUTER_SILENT``); None does not watch it.
    """

    path: ApiPath = "socket"
    tickle_interval: timedelta = timedelta(seconds=60)
    report_timeout: timedelta = timedelta(seconds=180)
    expiring_below_s: int = 300
    reclaim_competing: bool = False
    backoff_initial: timedelta = timedelta(seconds=2)
    backoff_cap: timedelta = timedelta(minutes=5)
    penalty_box: timedelta = timedelta(minutes=15)
    egress_check_interval: timedelta | None = timedelta(minutes=10)
    reassert_interval: timedelta = timedelta(seconds=30)
    router_silent_after: timedelta | None = None
