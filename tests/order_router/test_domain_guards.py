"""Paper/live guards: every disagreement refuses, naming it."""

from __future__ import annotations

import pytest

from sluice_order_router.domain.guards import (
    GuardError,
    GuardInput,
    account_kind,
    account_mode,
    check_guards,
    refused_accounts,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (GuardInput("paper", 4001, "DU123"), "IBKR_PORT=4001 is a live port"),
        (GuardInput("paper", 7496, "DU123"), "IBKR_PORT=7496 is a live port"),
        (GuardInput("paper", 4002, "U123"), "IBKR_ACCOUNT=U123 is a live account"),
        (GuardInput("live", 4001, "DU123", True), "IBKR_ACCOUNT=DU123 is a paper account"),
        (GuardInput("live", 4002, "U123", True), "IBKR_PORT=4002 is a paper port"),
        (GuardInput("live", 4001, "U123", False), "live trading is not enabled"),
        (GuardInput("live", 14001, "U123", True), "needs a live port"),
        (GuardInput("paper", 4002, "X1"), "not an IBKR account id of a known kind"),
    ],
)
def test_disagreement_refuses_with_its_name(given: GuardInput, expected: str) -> None:
    with pytest.raises(GuardError, match="refusing to start") as info:
        check_guards(given)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    "given",
    [
        GuardInput("paper", 4002, "DU123"),
        GuardInput("paper", 7497, "DU123"),
        GuardInput("paper", 14002, "DU123"),  # a simulator on its own port
        GuardInput("paper", None, "DU123"),  # the REST path has no socket port
        GuardInput("live", 4001, "U123", True),
        GuardInput("live", 7496, "U123", True),
    ],
)
def test_agreement_passes(given: GuardInput) -> None:
    check_guards(given)


def test_every_disagreement_is_named_at_once() -> None:
    with pytest.raises(GuardError) as info:
        check_guards(GuardInput("live", 4002, "DU1"))
    message = str(info.value)
    assert len(info.value.problems) == 3
    assert "paper account" in message
    assert "paper port" in message
    assert "not enabled" in message


@pytest.mark.parametrize(
    ("account", "mode", "kind"),
    [
        ("DU1234567", "paper", "individual"),
        ("U1234567", "live", "individual"),
        ("DF1234567", "paper", "advisor/master"),
        ("F1234567", "live", "advisor/master"),
        ("DI1234567", "paper", "IBroker (introducing broker)"),
        ("I1234567", "live", "IBroker (introducing broker)"),
    ],
)
def test_each_ibkr_prefix_says_paper_or_live(account: str, mode: str, kind: str) -> None:
    assert account_kind(account) == (mode, kind)
    assert account_mode(account) == mode


@pytest.mark.parametrize("account", ["X1", "D1234567", "DX1", "1234567", "AU1"])
def test_an_unknown_prefix_says_nothing(account: str) -> None:
    assert account_mode(account) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (GuardInput("paper", 4002, "DF1"), None),
        (GuardInput("paper", 4002, "DI1"), None),
        (GuardInput("live", 4001, "F1", True), None),
        (GuardInput("live", 4001, "I1", True), None),
        (GuardInput("paper", 4002, "F1"), "IBKR_ACCOUNT=F1 is a live account"),
        (GuardInput("paper", 4002, "I1"), "IBKR_ACCOUNT=I1 is a live account"),
        (GuardInput("live", 4001, "DF1", True), "IBKR_ACCOUNT=DF1 is a paper account"),
        (GuardInput("live", 4001, "DI1", True), "IBKR_ACCOUNT=DI1 is a paper account"),
        (GuardInput("live", 4001, "F1", False), "live trading is not enabled"),
        (GuardInput("live", 4002, "I1", True), "IBKR_PORT=4002 is a paper port"),
        (GuardInput("paper", 4001, "DF1"), "IBKR_PORT=4001 is a live port"),
    ],
)
def test_advisor_and_broker_accounts_follow_the_same_guard(
    given: GuardInput, expected: str | None
) -> None:
    if expected is None:
        check_guards(given)
        return
    with pytest.raises(GuardError) as info:
        check_guards(given)
    assert expected in str(info.value)


def test_the_guard_applies_to_every_account_of_the_allow_list() -> None:
    given = GuardInput("paper", 4002, "DU1", accounts=("DU1", "DF2", "U3", "I4"))
    with pytest.raises(GuardError) as info:
        check_guards(given)
    assert info.value.problems == [
        "TRADING_MODE=paper but IBKR_ACCOUNTS=U3 is a live account",
        "TRADING_MODE=paper but IBKR_ACCOUNTS=I4 is a live account",
    ]


def test_managed_accounts_of_the_other_mode_are_refused() -> None:
    refused = refused_accounts(["DU1", "DF2", "U3", "Z4"], "paper")
    assert set(refused) == {"U3", "Z4"}
    assert "U3 is a live account" in refused["U3"]
