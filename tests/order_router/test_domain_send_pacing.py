"""The socket's send schedule: no one-second window of send times holds more than the rate.

A property over many random schedules of demand (bursts, trickles, idle gaps) and sender
lateness (the event loop waking late, sometimes by more than a slot): seeded, so a failure
replays. Generated with ``random`` rather than a property-testing library: the schedule is two
lists of floats, and the workspace carries no such dependency.
"""

from __future__ import annotations

import bisect
import itertools
import random

import pytest

from sluice_order_router.domain.send_pacing import SendSchedule


def _send_times(rate: float, demands: list[float], lateness: list[float]) -> list[float]:
    """Drain ``demands`` (times messages are queued, sorted) one at a time through the
    schedule, each send ``lateness[i]`` after its slot, as ``Pacer`` does."""
    schedule, now, times = SendSchedule(rate), 0.0, []
    for demand, late in zip(demands, lateness, strict=True):
        now = max(now, demand)
        slot = schedule.reserve(now, demand)
        now = slot + late
        schedule.sent(now)
        times.append(now)
    return times


def _busiest_second(times: list[float]) -> int:
    """The most sends in any half-open window [t, t + 1 s) (the busiest starts at a send)."""
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


def _demands(rng: random.Random, count: int) -> list[float]:
    at, out = 0.0, []
    for _ in range(count):
        at += rng.choice([0.0, 0.0, 0.0, rng.uniform(0, 0.05), rng.uniform(0, 2.0)])
        out.append(at)
    return out


def _lateness(rng: random.Random, count: int) -> list[float]:
    return [rng.choice([0.0, rng.uniform(0, 0.002), rng.uniform(0, 0.08)]) for _ in range(count)]


@pytest.mark.parametrize("rate", [45.0, 44.5, 48.0, 10.0, 3.7, 1.0])
def test_no_second_of_send_times_holds_more_than_the_rate(rate: float) -> None:
    for seed in range(200):
        rng = random.Random(seed)
        count = rng.randint(1, 400)
        times = _send_times(rate, _demands(rng, count), _lateness(rng, count))
        assert times == sorted(times)
        assert _busiest_second(times) <= rate, f"seed {seed}"


def test_a_burst_goes_at_the_rate_evenly_spaced() -> None:
    times = _send_times(45.0, [0.0] * 450, [0.0] * 450)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(1 / 45)
    assert times[-1] == pytest.approx(449 / 45)


def test_lateness_does_not_add_up_into_a_lower_rate() -> None:
    # every send a millisecond late: a slot after the last *send* would lose ~4% of the rate
    times = _send_times(45.0, [0.0] * 451, [0.001] * 451)
    assert (len(times) - 1) / (times[-1] - times[0]) >= 44.9


def test_a_late_send_is_not_made_up_by_more_than_the_rate_in_a_second() -> None:
    lateness = [0.0] * 200
    lateness[3] = 0.5  # the loop stalled half a second: the backlog may not go out at once
    times = _send_times(45.0, [0.0] * 200, lateness)
    assert _busiest_second(times) == 45
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1 / 90 - 1e-9  # caught up at twice the rate at most, not in one clump


def test_a_stall_is_made_up_within_the_rate() -> None:
    lateness = [0.0] * 450
    lateness[100] = 0.3  # the sender got no CPU for 300 ms in the middle of a burst
    times = _send_times(45.0, [0.0] * 450, lateness)
    assert times[-1] == pytest.approx(449 / 45)  # every slot kept: the burst ends on time
    assert _busiest_second(times) == 45


def test_idle_time_is_not_owed() -> None:
    # a message every 2 s, then a burst: the burst starts evenly spaced, not at twice the rate
    demands = [0.0, 2.0, 4.0] + [6.0] * 20
    times = _send_times(45.0, demands, [0.0] * len(demands))
    gaps = [b - a for a, b in itertools.pairwise(times[3:])]
    assert min(gaps) == pytest.approx(1 / 45)
