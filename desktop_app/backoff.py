"""Reconnect delays: exponential backoff with full jitter. Pure, no I/O.

"Full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter") draws
each delay uniformly from ``[0, min(cap, base * 2**attempt)]``. When a server
restarts under a thousand connected PCs they spread out over the window
instead of knocking on the door in lockstep.
"""

from __future__ import annotations

import random
from collections.abc import Callable

BASE = 0.5
CAP = 30.0


class Backoff:
    """The delays before successive reconnect attempts.

    Guarantees: every delay lies in ``[0, cap]``; the ceiling of the n-th delay
    (counting from 0) is ``min(cap, base * 2**n)``; :meth:`reset` starts over at
    ``base``. ``uniform`` is injectable so tests can pin the draw.
    """

    def __init__(
        self,
        base: float = BASE,
        cap: float = CAP,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        if not 0 < base <= cap:
            raise ValueError(f"need 0 < base <= cap, got base={base} cap={cap}")
        self.base = base
        self.cap = cap
        self._uniform = uniform
        self.attempt = 0

    def ceiling(self, attempt: int) -> float:
        """The upper bound of the delay drawn for ``attempt`` (0-based)."""
        # Compare exponents instead of computing 2**attempt: a PC offline for a
        # week must not overflow a float.
        if attempt >= 64 or self.base * 2.0**attempt >= self.cap:
            return self.cap
        return self.base * 2.0**attempt

    def next(self) -> float:
        """Draw the delay before the next attempt and count the attempt."""
        ceiling = self.ceiling(self.attempt)
        self.attempt += 1
        return min(max(self._uniform(0.0, ceiling), 0.0), ceiling)

    def reset(self) -> None:
        """Forget past failures (call after a connection succeeded)."""
        self.attempt = 0
