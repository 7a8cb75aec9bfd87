"""ib_async's per-order INFO lines are dropped below DEBUG; its other lines are kept."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from sluice_order_router.adapters.socket.chatter import PerOrderChatter, quiet_per_order_lines


def record(level: int, message: str, name: str = "ib_async.wrapper") -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


@pytest.fixture
def root_level() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    saved = root.level
    yield root
    root.setLevel(saved)


def test_per_order_info_lines_are_dropped_at_info(root_level: logging.Logger) -> None:
    root_level.setLevel(logging.INFO)
    chatter = PerOrderChatter()
    assert not chatter.filter(record(logging.INFO, "orderStatus: Trade(contract=...)"))
    assert not chatter.filter(record(logging.INFO, "execDetails Execution(execId='1')"))
    assert not chatter.filter(
        record(logging.INFO, "placeOrder: New order Trade(...)", "ib_async.ib")
    )


def test_notices_warnings_and_errors_are_kept(root_level: logging.Logger) -> None:
    root_level.setLevel(logging.INFO)
    chatter = PerOrderChatter()
    assert chatter.filter(record(logging.INFO, "Warning 2104, reqId -1: Market data farm OK"))
    assert chatter.filter(record(logging.INFO, "Synchronization complete", "ib_async.ib"))
    assert chatter.filter(record(logging.WARNING, "Canceled order: Trade(...)"))
    assert chatter.filter(record(logging.ERROR, "orderStatus: something went wrong"))


def test_everything_passes_at_debug(root_level: logging.Logger) -> None:
    root_level.setLevel(logging.DEBUG)
    assert PerOrderChatter().filter(record(logging.INFO, "orderStatus: Trade(contract=...)"))


def test_installed_once_on_ib_async_loggers(root_level: logging.Logger) -> None:
    root_level.setLevel(logging.INFO)
    quiet_per_order_lines()
    quiet_per_order_lines()
    wrapper = logging.getLogger("ib_async.wrapper")
    assert sum(isinstance(f, PerOrderChatter) for f in wrapper.filters) == 1
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    keep = Keep()
    wrapper.addHandler(keep)
    try:
        wrapper.info("position: Position(account='DU1')")
        wrapper.info("Warning 2158, reqId -1: Sec-def data farm connection is OK")
    finally:
        wrapper.removeHandler(keep)
    assert [r.getMessage()[:7] for r in seen] == ["Warning"]
