"""Which accounts a router serves, and when a claim on one conflicts (pure)."""

from __future__ import annotations

from datetime import timedelta

from sluice_order_router.domain.accounts import Accounts
from sluice_order_router.domain.claims import ClaimBook, conflict_line, is_live
from sluice_proto import utc_now
from sluice_proto.session import AccountClaim


def test_without_an_allow_list_every_managed_account_is_served() -> None:
    accounts = Accounts(default="DU1", mode="paper")
    assert accounts.configured == {"DU1"} and accounts.serving == {"DU1"}
    assert accounts.learn(["DU1", "DU2", "U3"]) == {
        "U3": "TRADING_MODE=paper but account=U3 is a live account"
    }
    assert accounts.serving == {"DU1", "DU2", "U3"}
    assert accounts.trading == {"DU1", "DU2"}
    accounts.elsewhere.add("DU2")  # another router holds it
    assert not accounts.serves("DU2")


def test_the_allow_list_limits_and_refuses_what_the_login_does_not_manage() -> None:
    accounts = Accounts(default="DU1", mode="paper", allowed=frozenset({"DU1", "DU9"}))
    new = accounts.learn(["DU1", "DU2"])
    assert set(new) == {"DU9"} and "not managed by this login" in new["DU9"]
    assert accounts.serving == {"DU1", "DU9"} and accounts.trading == {"DU1"}
    assert not accounts.serves("DU2")
    assert accounts.learn(["DU1", "DU2"]) == {}  # said once, not at every connect


def claim(router: str, *, age_s: float = 0.0, released: bool = False) -> AccountClaim:
    return AccountClaim(
        account="DU1", router_id=router, instance_id=f"{router}-1", lease_s=10.0,
        released=released, ts=utc_now() - timedelta(seconds=age_s),
    )  # fmt: skip


def test_a_live_claim_of_another_router_conflicts_until_it_lapses_or_is_released() -> None:
    now = utc_now()
    book = ClaimBook()
    book.fold(claim("login-a"))
    assert set(book.conflicts(["DU1", "DU2"], "login-b", now)) == {"DU1"}
    assert book.conflicts(["DU1"], "login-a", now) == {}  # its own earlier process
    book.fold(claim("login-a", age_s=11.0))  # the lease lapsed: the router died
    assert book.conflicts(["DU1"], "login-b", now) == {}
    book.fold(claim("login-a"))
    book.fold(claim("login-a", released=True))  # a clean stop
    assert book.conflicts(["DU1"], "login-b", now) == {}
    assert not is_live(claim("x", released=True), now)


def test_the_conflict_line_names_the_account_and_the_other_router() -> None:
    line = conflict_line(claim("login-a", age_s=1.0), utc_now())
    assert "account DU1 is claimed by router 'login-a'" in line
    assert "\n" not in line


def test_the_default_account_drives_the_session_unless_it_is_refused() -> None:
    accounts = Accounts(default="DU5", mode="paper", allowed=frozenset({"DU5", "DU2", "DU3"}))
    assert accounts.leader == "DU5"
    accounts.learn(["DU2", "DU3"])  # the default is not managed by this login
    assert accounts.leader == "DU2"
