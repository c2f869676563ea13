"""The ping-pong guard's pure rule (server/sessions/contest.py), by properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.sessions.contest import (
    MEMORY,
    ContestRule,
    ContestState,
    Verdict,
    cooldown_of,
    judge,
    retry_seconds,
)
from server.sessions.policy import Policy, decide
from tests.conformance.helpers import START

rules = st.builds(
    ContestRule,
    limit=st.integers(1, 8),
    window=st.integers(1, 600).map(float),
    cooldown=st.integers(1, 600).map(float),
    max_cooldown=st.just(3600.0),
)
gaps = st.lists(st.integers(0, 700).map(float), min_size=1, max_size=60)


def _run(rule: ContestRule, gaps: list[float]) -> list[tuple[float, Verdict]]:
    """Displacing logins ``gaps`` seconds apart: each one's time and verdict."""
    state, now, out = ContestState(), START, []
    for gap in gaps:
        now += gap
        verdict = judge(state, now, rule)
        state = verdict.state
        out.append((now, verdict))
    return out


@given(rule=rules, gaps=gaps)
def test_no_window_ever_admits_more_than_the_limit(rule: ContestRule, gaps: list[float]) -> None:
    """However logins are paced, any ``window`` seconds hold at most ``limit`` admitted."""
    admitted = [t for t, v in _run(rule, gaps) if not v.retry_after]
    for i, t in enumerate(admitted):
        assert len([u for u in admitted[i:] if u < t + rule.window]) <= rule.limit


@given(rule=rules, extra=st.lists(st.integers(0, 100).map(float), min_size=1, max_size=40))
def test_a_pace_within_the_limit_is_never_refused(rule: ContestRule, extra: list[float]) -> None:
    """Logins at least ``window / limit`` seconds apart are all admitted."""
    spacing = float(-(-int(rule.window) // rule.limit))  # whole seconds, rounded up
    assert all(not v.retry_after for _, v in _run(rule, [spacing + e for e in extra]))


@given(rule=rules, gaps=gaps)
def test_refusals_change_nothing_but_the_beginning(rule: ContestRule, gaps: list[float]) -> None:
    """A refusal keeps the state as it was, except the one that begins a contest; that one
    says how many displacing logins tipped it (the limit and itself) and waits a cool-down."""
    state = ContestState()
    now = START
    for gap in gaps:
        now += gap
        verdict = judge(state, now, rule)
        if verdict.retry_after and not verdict.began:
            assert verdict.state == state
            assert 0 < verdict.retry_after <= state.until - now + 1e-9
        if verdict.began:
            assert verdict.displacements == rule.limit + 1
            assert verdict.state.hits == state.hits[-rule.limit :]
            assert verdict.retry_after == cooldown_of(rule, verdict.state.strikes)
        state = verdict.state


@given(rule=rules, strikes=st.integers(1, 200))
def test_cool_downs_double_and_stop_at_the_cap(rule: ContestRule, strikes: int) -> None:
    """Each repeat waits twice the last, never more than the cap, never less than the first."""
    wait = cooldown_of(rule, strikes)
    assert rule.cooldown <= wait <= rule.max_cooldown
    assert cooldown_of(rule, strikes + 1) == min(2 * wait, rule.max_cooldown)


def test_repeats_are_remembered_for_a_day_after_the_cool_down() -> None:
    """A contest within MEMORY of the last cool-down's end is a repeat; later, a first."""
    rule = ContestRule(limit=1, window=60.0, cooldown=300.0, max_cooldown=3600.0)
    last = ContestState((START,), until=START - 10, strikes=3)
    repeat = judge(last, START + 1, rule)
    assert (repeat.began, repeat.retry_after, repeat.state.strikes) == (True, 2400.0, 4)
    fresh = judge(ContestState((START,), until=START - MEMORY, strikes=3), START + 1, rule)
    assert (fresh.began, fresh.retry_after, fresh.state.strikes) == (True, 300.0, 1)


@pytest.mark.parametrize(("wait", "seconds"), [(0.001, 1), (1.0, 1), (1.2, 2), (299.9, 300)])
def test_waits_are_told_in_whole_seconds_rounded_up(wait: float, seconds: int) -> None:
    assert retry_seconds(wait) == seconds


@pytest.mark.parametrize(
    "bad",
    [
        {"limit": 0},
        {"window": 0.0},
        {"cooldown": 0.0},
        {"cooldown": 7200.0},  # beyond the cap
    ],
)
def test_a_rule_that_cannot_work_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="bad contest rule"):
        ContestRule(**bad)  # type: ignore[arg-type]


def test_only_evicting_another_devices_session_displaces() -> None:
    """decide marks a login displacing only when it ends a session of another device."""

    class Held:
        def __init__(self, jti: str, device_id: str) -> None:
            self.jti, self.device_id, self.created_at = jti, device_id, START
            self.device_class = "desktop"

    held = [Held("a", "pc-a")]
    assert decide(held, "pc-b", Policy.DISPLACE, 1, False).displaces
    assert not decide(held, "pc-a", Policy.DISPLACE, 1, False).displaces  # the same PC
    assert not decide(held, "pc-b", Policy.DISPLACE, 2, False).displaces  # a free slot
    assert not decide(held, "pc-b", Policy.REJECT, 1, False).displaces  # refused
    assert decide(held, "pc-b", Policy.REJECT, 1, False, absent={"a"}).displaces
