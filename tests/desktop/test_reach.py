"""pause(): a reconnect delay that ends early when asked or when the server answers."""

from __future__ import annotations

import asyncio
import time

from desktop_app.reach import Woken, pause


async def test_the_whole_delay_passes_without_a_probe_or_a_wake() -> None:
    """No probe, nobody asks: pause lasts the delay and says so."""
    started = time.monotonic()
    assert await pause(0.2, asyncio.Event()) is Woken.ELAPSED
    assert time.monotonic() - started >= 0.2


async def test_a_wake_ends_a_long_delay_at_once() -> None:
    """A wake set during a 30 s pause ends it within a moment, and stays set."""
    wake = asyncio.Event()
    asyncio.get_running_loop().call_later(0.1, wake.set)
    started = time.monotonic()
    assert await pause(30, wake) is Woken.ASKED
    assert time.monotonic() - started < 2
    assert wake.is_set()


async def test_a_probe_that_starts_answering_ends_the_delay() -> None:
    """The probe runs every ~interval; the first True ends a 30 s pause."""
    answers = iter([False, False, True])
    calls: list[float] = []

    async def probe() -> bool:
        calls.append(time.monotonic())
        return next(answers)

    started = time.monotonic()
    assert await pause(30, asyncio.Event(), probe, every=0.05) is Woken.ANSWERING
    assert len(calls) == 3
    assert time.monotonic() - started < 2
