"""A child process's text output, read line by line on a thread, for tests to wait on."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import IO, TypeVar

from tests.support.server import timeout

T = TypeVar("T")


class Output:
    """Lines of ``stream`` as they come; :attr:`lines` keeps every line taken so far.

    ``on_line`` sees each line on the reading thread, before anyone waits for it.
    """

    def __init__(self, stream: IO[str], on_line: Callable[[str], None] | None = None) -> None:
        self.lines: list[str] = []
        self._stream = stream
        self._on_line = on_line
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        for line in self._stream:
            if self._on_line is not None:
                self._on_line(line)
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _take(self, wait: float) -> str | None:
        """The next line within ``wait`` seconds, or None at the end or the deadline."""
        try:
            line = self._queue.get(timeout=max(wait, 0))
        except queue.Empty:
            return None
        if line is not None:
            self.lines.append(line)
        return line

    def first(self, found: Callable[[str], T | None], wait: float, what: str) -> T:
        """What ``found`` makes of the first line (from now on) it accepts, within ``wait``
        seconds (scaled by the tests' timeout factor); else fail, naming ``what``."""
        deadline = time.monotonic() + timeout(wait)
        while (line := self._take(deadline - time.monotonic())) is not None:
            if (result := found(line)) is not None:
                return result
        raise AssertionError(f"no line {what}; output:\n" + "\n".join(self.lines))

    def drain(self, wait: float) -> str:
        """Every line so far and within ``wait`` seconds more (until the end), joined."""
        deadline = time.monotonic() + wait
        while self._take(deadline - time.monotonic()) is not None:
            pass
        return "\n".join(self.lines)

    def close(self) -> None:
        """After the process has ended: let the reader finish, then release the stream."""
        self._thread.join(timeout(10))
        self._stream.close()
