"""Waiting for a server to come back, without waiting longer than needed. No Qt.

A reconnect delay from :class:`~desktop_app.backoff.Backoff` can grow to 30 s:
right for a real outage (a thousand PCs must not knock in lockstep), too slow
for a server that restarted in two seconds. :func:`pause` waits out such a
delay but ends it early when

- someone asks (``wake`` is set: "Retry now", the OS says the network is back,
  or the app is quitting), or
- a cheap probe (``GET /healthz``, :data:`PROBE_TIMEOUT`) succeeds. The probe
  runs every :data:`PROBE_EVERY` seconds, so a server that answers again is
  noticed within about a second.

Callers probe only while the server could not be reached at all. A server that
answers but refuses (1013, a 5xx) is left to the backoff: probing it would add
load to a server that is already in trouble. Not guaranteed: that the server
is usable when a probe succeeds — only that it answers. Nor spreading: PCs
that were probing come back within about one probe interval of the server's
return (their phases are random, so spread over ~0.5 s), not over the backoff
window; the backoff still paces everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from enum import Enum

PROBE_EVERY = 0.5
PROBE_TIMEOUT = 0.5

Probe = Callable[[], Awaitable[bool]]


class Woken(Enum):
    ELAPSED = "elapsed"  # the whole delay passed
    ASKED = "asked"  # ``wake`` was set
    ANSWERING = "answering"  # the probe succeeded


async def pause(
    delay: float,
    wake: asyncio.Event,
    probe: Probe | None = None,
    every: float = PROBE_EVERY,
) -> Woken:
    """Wait up to ``delay`` seconds; return early on ``wake`` or a successful ``probe``.

    ``wake`` is left set: the caller clears it once it has acted on it. Probes
    are spread by ±25 % so PCs that lost one server together do not probe in
    step.
    """
    deadline = time.monotonic() + delay
    while True:
        if wake.is_set():
            return Woken.ASKED
        left = deadline - time.monotonic()
        if left <= 0:
            return Woken.ELAPSED
        step = left if probe is None else min(left, every * random.uniform(0.75, 1.25))  # noqa: S311
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), step)
        if probe is not None and not wake.is_set() and await probe():
            return Woken.ANSWERING
