"""Reconnect delays: exponential ceiling, full jitter, cap, reset."""

import random

import pytest

from desktop_app.backoff import Backoff


def test_ceiling_doubles_from_half_a_second_to_the_thirty_second_cap() -> None:
    """The n-th delay's ceiling is 0.5 * 2**n, never more than 30 s."""
    b = Backoff()
    assert [b.ceiling(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert b.ceiling(10_000) == 30


def test_full_jitter_draws_from_zero_to_the_ceiling() -> None:
    """Each delay is drawn uniformly from [0, ceiling], so it spans the whole window."""
    calls: list[tuple[float, float]] = []

    def top(low: float, high: float) -> float:
        calls.append((low, high))
        return high

    b = Backoff(uniform=top)
    assert [b.next() for _ in range(4)] == [0.5, 1, 2, 4]
    assert calls == [(0, 0.5), (0, 1), (0, 2), (0, 4)]


def test_delays_stay_within_bounds_with_a_real_random_source() -> None:
    """Over many draws no delay leaves [0, ceiling] and the spread is real jitter."""
    b = Backoff(uniform=random.Random(7).uniform)
    delays = [b.next() for _ in range(200)]
    assert all(0 <= d <= 30 for d in delays)
    late = delays[10:]
    assert min(late) < 10 < max(late)


def test_a_misbehaving_uniform_is_clamped() -> None:
    """A random source returning outside the range cannot produce a negative or huge delay."""
    assert Backoff(uniform=lambda lo, hi: -5.0).next() == 0
    assert Backoff(uniform=lambda lo, hi: 99.0).next() == 0.5


def test_reset_starts_over() -> None:
    """After a successful connection the next delay is again at most 0.5 s."""
    b = Backoff(uniform=lambda lo, hi: hi)
    for _ in range(5):
        b.next()
    assert b.attempt == 5
    b.reset()
    assert b.next() == 0.5


@pytest.mark.parametrize(("base", "cap"), [(0, 30), (-1, 30), (5, 1)])
def test_nonsense_parameters_are_refused(base: float, cap: float) -> None:
    """A zero or negative base, or a base above the cap, is a programming error."""
    with pytest.raises(ValueError, match="base"):
        Backoff(base=base, cap=cap)
