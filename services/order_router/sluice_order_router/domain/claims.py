"""Account claims: no two routers may ever own one account. Pure.

Every router writes an ``AccountClaim`` per account it serves to the compacted claims topic
and renews it with each heartbeat. A claim is live until ``lease_s`` after its ``ts`` (its
router died) or until a ``released`` record (its router stopped). A router refuses an account
while another router (another ``router_id``) holds a live claim on it; a claim of its own
``router_id`` is its previous process, never a conflict.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sluice_proto.session import AccountClaim


def is_live(claim: AccountClaim, now: datetime) -> bool:
    """True while the claim holds: not released, and renewed within its lease."""
    return not claim.released and now < claim.ts + timedelta(seconds=claim.lease_s)


class ClaimBook:
    """The latest claim of each router on each account, folded from the claims topic."""

    def __init__(self) -> None:
        self._claims: dict[str, dict[str, AccountClaim]] = {}

    def fold(self, claim: AccountClaim) -> None:
        """Take one claim record (records of one account arrive in order)."""
        self._claims.setdefault(claim.account, {})[claim.router_id] = claim

    def accounts_of(self, router_id: str) -> set[str]:
        """Every account ``router_id`` ever claimed (released or lapsed included)."""
        return {account for account, by in self._claims.items() if router_id in by}

    def conflicts(
        self, accounts: Iterable[str], router_id: str, now: datetime
    ) -> dict[str, AccountClaim]:
        """For each of ``accounts`` another router holds live, that router's claim."""
        found: dict[str, AccountClaim] = {}
        for account in sorted(set(accounts)):
            for other, claim in self._claims.get(account, {}).items():
                if other != router_id and is_live(claim, now):
                    found[account] = claim
                    break
        return found


def conflict_line(claim: AccountClaim, now: datetime) -> str:
    """One line naming the account and the router that holds it."""
    ago = max((now - claim.ts).total_seconds(), 0.0)
    return (
        f"account {claim.account} is claimed by router {claim.router_id!r} "
        f"(instance {claim.instance_id}, renewed {ago:.1f} s ago); no two routers may serve one "
        f"account: give it to one router only, or wait for the claim to lapse "
        f"({claim.lease_s:g} s after its router's last heartbeat)"
    )
