"""A server's process tree as /proc shows it (Linux): who is in it, who still runs, who serves.

A process is named by its pid and its start time, so that a pid the kernel has
given to a newer process is not taken for the old one.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")

Proc = tuple[int, int]  # pid, start time in clock ticks since boot


def _stat(pid: int) -> tuple[str, int, int] | None:
    """State, parent pid and start time of ``pid``, or None if it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the name may hold spaces
    return fields[0], int(fields[1]), int(fields[19])


def tree(root: int) -> set[Proc]:
    """``root`` and all its descendants now."""
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        stat = _stat(pid)
        if stat is None:
            continue
        found.add((pid, stat[2]))
        with contextlib.suppress(OSError):
            for task in (PROC / str(pid) / "task").iterdir():
                with contextlib.suppress(OSError):
                    todo.extend(int(child) for child in (task / "children").read_text().split())
    return found


def running(procs: set[Proc]) -> set[Proc]:
    """Those of ``procs`` that still run (a zombie no longer does)."""
    alive = set()
    for pid, started in procs:
        stat = _stat(pid)
        if stat is not None and stat[2] == started and stat[0] != "Z":
            alive.add((pid, started))
    return alive


def catches(pid: int, sig: int) -> bool:
    """Whether ``pid`` has a handler of its own for ``sig`` (Python code installed one)."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (sig - 1) & 1)


def workers(main: int) -> set[int]:
    """The pids of ``main``'s Sanic server workers (their environment names them)."""
    found = set()
    for pid, _ in tree(main):
        try:
            environ = (PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue
        if b"\0SANIC_WORKER_NAME=Sanic-Server-" in b"\0" + environ:
            found.add(pid)
    return found


def held_connections(pid: int, port: int) -> int:
    """How many established TCP connections to local ``port`` process ``pid`` holds."""
    inodes = set()
    for line in (PROC / "net" / "tcp").read_text().splitlines()[1:]:
        cols = line.split()
        if cols[3] == "01" and int(cols[1].split(":")[1], 16) == port:  # 01: ESTABLISHED
            inodes.add(cols[9])
    held = 0
    for fd in (PROC / str(pid) / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        held += target.startswith("socket:[") and target[8:-1] in inodes
    return held


@dataclass
class TreeWatch:
    """Records every process of ``root``'s tree, polling until :meth:`stop`."""

    root: int
    seen: set[Proc] = field(default_factory=set)
    _done: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> TreeWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._done.is_set():
            self.seen |= tree(self.root)
            time.sleep(0.02)

    def stop(self) -> set[Proc]:
        """Stop watching; every process seen."""
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        return self.seen
