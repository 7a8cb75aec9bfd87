"""Fixtures for the egress tests: one Shield stand-in process per module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.egress.fixtures import ShieldProxy


@pytest.fixture(scope="module")
async def shield(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ShieldProxy]:
    proxy = ShieldProxy(tmp_path_factory.mktemp("shield"))
    await proxy.start()
    yield proxy
    proxy.stop()
