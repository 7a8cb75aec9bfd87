"""Client-id pool and reconnect backoff."""

from __future__ import annotations

from sluice_order_router.domain.backoff import JitteredBackoff
from sluice_order_router.domain.client_ids import ClientIdPool


def test_pool_tries_each_id_once_then_reports_exhaustion() -> None:
    pool = ClientIdPool(7, [7, 8, 9])
    tried = [pool.current]
    while pool.in_use():
        tried.append(pool.current)
    assert tried == [7, 8, 9]
    assert pool.current == 7  # next round starts over


def test_backoff_is_exponential_capped_and_jittered() -> None:
    backoff = JitteredBackoff(initial_s=0.5, cap_s=4.0)
    assert [backoff.ceiling(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff.delay(3, rand=lambda: 1.0) == 2.0
    assert backoff.delay(3, rand=lambda: 0.25) == 0.5
    assert backoff.ceiling(10_000) == 4.0
