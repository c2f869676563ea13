"""How long one login request may take. asyncio only: no HTTP, no Qt.

A login normally answers within a second, and one that has not answered in
``usual`` seconds (10) is given up. Under the server's ``ask`` policy the answer
waits for the PC in the way to allow it, for up to the server's ``ask_timeout``
(and a few seconds more). The client cannot know the policy before it asks, and
asking on every login would cost every login a request, so: a login that has
not answered within :data:`ASK_AFTER` seconds has the policy fetched beside it
(``GET /api/auth/policy``); under ``ask`` its limit becomes ``ask_timeout`` +
:data:`ASK_MARGIN` from its start, and ``on_asking`` is told how many seconds
the other PC has left. Giving up cancels the request, which closes its
connection: under ``ask`` the server reads that as the sign-in cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from shared.policies import Policy

_T = TypeVar("_T")

ASK_AFTER = 1.0
"""Seconds without an answer after which the policy is fetched: a login this slow may wait."""

ASK_MARGIN = 8.0
"""Seconds beyond ``ask_timeout`` before the app gives up: the server's own slack (~3 s),
the time the password check and the network take, and some room."""

Learn = Callable[[], Awaitable[tuple[str, float] | None]]
"""Fetch ``(policy, ask_timeout)``, or None when the server does not say."""


async def bounded(
    request: Coroutine[Any, Any, _T],
    learn: Learn,
    on_asking: Callable[[float], None],
    *,
    usual: float,
) -> _T:
    """Await ``request`` within its limit; TimeoutError (and the request cancelled) past it."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.ensure_future(request)
    try:
        done, _ = await asyncio.wait({task}, timeout=min(ASK_AFTER, usual))
        if done:
            return task.result()
        limit = usual
        policy = await _beside(task, learn, until=started + usual)
        if policy is not None and policy[0] == Policy.ASK and not task.done():
            ask_timeout = policy[1]
            limit = max(usual, ask_timeout + ASK_MARGIN)
            on_asking(ask_timeout - (loop.time() - started))
        left = started + limit - loop.time()
        done, _ = await asyncio.wait({task}, timeout=max(left, 0.0))
        if not done:
            raise TimeoutError(f"no answer within {limit:.0f} s")
        return task.result()
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _beside(
    task: asyncio.Future[Any], learn: Learn, *, until: float
) -> tuple[str, float] | None:
    """``learn()``, unless ``task`` finishes first or the loop's clock reaches ``until``
    (then None, and the fetch is dropped)."""
    fetch = asyncio.ensure_future(learn())
    left = max(0.0, until - asyncio.get_running_loop().time())
    try:
        await asyncio.wait({task, fetch}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        return fetch.result() if fetch.done() and not task.done() else None
    finally:
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fetch
