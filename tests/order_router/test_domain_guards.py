"""Paper/live guards: every disagreement refuses, naming it."""

from __future__ import annotations

import pytest

from sluice_order_router.domain.guards import GuardError, GuardInput, check_guards


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
        (GuardInput("paper", 4002, "X1"), "neither a paper (DU...) nor a live"),
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
