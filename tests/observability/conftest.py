"""One order through the embedded stack, shared by this package's tests (it takes seconds)."""

from __future__ import annotations

import pytest

from tests.support.order_lifecycle import Lifecycle, one_filled_order


@pytest.fixture(scope="package")
async def lifecycle() -> Lifecycle:
    """Every service's /metrics before and after one filled order."""
    return await one_filled_order()
