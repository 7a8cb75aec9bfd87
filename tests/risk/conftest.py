"""Fixtures of the risk service tests on the in-memory bus."""

from __future__ import annotations

import pytest

from sluice_bus import MemoryBroker


@pytest.fixture
def broker() -> MemoryBroker:
    """The in-memory log one test's services share."""
    return MemoryBroker()
