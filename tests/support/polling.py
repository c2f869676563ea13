"""Wait for something to become true, with a deadline scaled for slow machines."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tests.support.server import timeout


async def eventually(
    check: Callable[[], object], wait: float = 5.0, what: str = "", every: float = 0.02
) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``wait`` seconds."""
    deadline = time.monotonic() + timeout(wait)
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {wait} s: {what or check}")
        await asyncio.sleep(every)
