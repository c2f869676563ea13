"""bounded(): a login gives up after the usual time, or after ask_timeout under ask."""

from __future__ import annotations

import asyncio
import time

import pytest

from desktop_app import login_wait
from desktop_app.login_wait import bounded


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(login_wait, "ASK_AFTER", 0.1)
    monkeypatch.setattr(login_wait, "ASK_MARGIN", 0.2)


class Slow:
    """A request that answers after ``delay`` seconds, and records being cancelled."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.cancelled = False

    async def run(self) -> str:
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return "granted"


def policy(name: str | None, ask_timeout: float = 0.0) -> login_wait.Learn:
    calls: list[float] = []

    async def learn() -> tuple[str, float] | None:
        calls.append(time.monotonic())
        return None if name is None else (name, ask_timeout)

    learn.calls = calls  # type: ignore[attr-defined]
    return learn


async def test_a_quick_answer_never_fetches_the_policy() -> None:
    """An answer within ASK_AFTER is returned as it is; the policy is not asked for."""
    learn, asking = policy("ask", 5), []
    assert await bounded(Slow(0.01).run(), learn, asking.append, usual=1.0) == "granted"
    assert learn.calls == []  # type: ignore[attr-defined]
    assert asking == []


async def test_a_slow_login_on_a_server_without_ask_gives_up_after_the_usual_time() -> None:
    """Policy displace (or none said): the usual limit holds and the request is cancelled."""
    for learn in (policy("displace"), policy(None)):
        slow, asking = Slow(5), []
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await bounded(slow.run(), learn, asking.append, usual=0.4)
        assert 0.35 < time.monotonic() - started < 1.5
        assert slow.cancelled
        assert asking == []
        assert len(learn.calls) == 1  # type: ignore[attr-defined]


async def test_under_ask_the_login_may_wait_ask_timeout_plus_the_margin() -> None:
    """Under ask a login answering after 0.9 s (usual 0.3 s) is awaited, and the other PC's
    seconds left are told once."""
    asking: list[float] = []
    got = await bounded(Slow(0.9).run(), policy("ask", 1.0), asking.append, usual=0.3)
    assert got == "granted"
    assert len(asking) == 1
    assert 0.8 < asking[0] <= 0.95  # 1.0 s, less the ~0.1 s before the policy was known


async def test_under_ask_it_still_gives_up_past_ask_timeout_plus_the_margin() -> None:
    """ask_timeout 0.3 s + margin 0.2 s: a request hanging longer is cancelled at ~0.5 s."""
    slow = Slow(10)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await bounded(slow.run(), policy("ask", 0.3), lambda _: None, usual=0.2)
    assert 0.45 < time.monotonic() - started < 1.5
    assert slow.cancelled


async def test_an_answer_before_the_policy_arrives_wins_and_drops_the_fetch() -> None:
    """The login answers while the policy fetch hangs: its answer, no waiting state."""
    fetch_cancelled = asyncio.Event()

    async def hanging() -> tuple[str, float] | None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            fetch_cancelled.set()
            raise
        return ("ask", 20.0)

    asking: list[float] = []
    assert await bounded(Slow(0.2).run(), hanging, asking.append, usual=1.0) == "granted"
    assert fetch_cancelled.is_set()
    assert asking == []


async def test_cancelling_the_wait_cancels_the_request() -> None:
    """The person's Cancel: the request is cancelled too (its connection closes)."""
    slow = Slow(10)
    waiting = asyncio.ensure_future(bounded(slow.run(), policy("ask", 5), lambda _: None, usual=1))
    await asyncio.sleep(0.3)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert slow.cancelled


async def test_a_policy_fetch_that_hangs_does_not_stretch_the_usual_limit() -> None:
    """Request and policy fetch both hang (a server that accepts and never answers): given up
    at the usual limit, not when the fetch would time out."""

    async def hanging() -> tuple[str, float] | None:
        await asyncio.sleep(10)
        return ("ask", 20.0)

    slow = Slow(10)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await bounded(slow.run(), hanging, lambda _: None, usual=0.5)
    assert 0.45 < time.monotonic() - started < 1.0
    assert slow.cancelled
