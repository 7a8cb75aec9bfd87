"""Environment variables configure the line budget, conflation and staleness."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sluice_bus import MemoryBroker, MemoryBus
from sluice_market_data.bootstrap import build
from sluice_market_data.config import MarketDataSettings
from sluice_runtime import ConfigError, read_settings


def test_the_environment_sets_budget_conflation_and_staleness(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLUICE_MD_LINE_BUDGET", "40")
    monkeypatch.setenv("SLUICE_MD_CONFLATE_MS", "250")
    monkeypatch.setenv("SLUICE_MD_STALE_AFTER_S", "2.5")
    settings = read_settings(MarketDataSettings)
    service = build(settings, MemoryBus(MemoryBroker(), "market-data")).component
    assert service.registry.line_budget == 40
    assert service.book.min_interval == timedelta(milliseconds=250)
    assert service.book.stale_after == timedelta(seconds=2.5)


def test_the_budget_defaults_to_ibkrs_100_lines() -> None:
    assert MarketDataSettings().line_budget == 100


def test_a_zero_budget_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_MD_LINE_BUDGET", "0")
    with pytest.raises(ConfigError) as error:
        read_settings(MarketDataSettings)
    assert "SLUICE_MD_LINE_BUDGET" in str(error.value)
