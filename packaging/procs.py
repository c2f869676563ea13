"""Child processes in process groups of their own, with their output prefixed by name.

Shared by ``run_demo.py`` and ``smoke.py``. Guarantees: :func:`stop_all` ends every
process of every group it is given - a server's worker processes included - with SIGTERM
and, after a grace period, SIGKILL. On Windows (no process groups to signal) it
terminates the leader only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
HEALTH_TIMEOUT = 60.0  # s; a loaded 2-core machine needs a while to import Sanic
GRACE = 5.0  # s between SIGTERM and SIGKILL when stopping a child


def port_taken(host: str, port: int) -> bool:
    """True when something already accepts connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass
class Child:
    """A started process, the leader of its own process group, output prefixed by name."""

    name: str
    proc: subprocess.Popen[str]
    pump: threading.Thread = field(init=False)
    reported: bool = False

    def start_pump(self, out: TextIO) -> None:
        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                out.write(f"[{self.name}] {line}")
                out.flush()

        self.pump = threading.Thread(target=pump, name=f"pump-{self.name}", daemon=True)
        self.pump.start()


def spawn(name: str, argv: Sequence[str], env: Mapping[str, str], out: TextIO) -> Child:
    """Start ``argv`` in a new process group (new console group on Windows)."""
    kwargs: dict[str, object] = {}
    if os.name == "posix":
        kwargs["start_new_session"] = True
    else:
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    proc = subprocess.Popen(  # noqa: S603 - argv is built here from sys.executable
        list(argv),
        cwd=ROOT,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
        **kwargs,  # type: ignore[call-overload]
    )
    child = Child(name, proc)
    child.start_pump(out)
    return child


def _signal_group(child: Child, sig: int) -> None:
    if os.name == "posix":
        # The group outlives its leader when the leader has workers, so signal the
        # group even when the leader is gone; it vanishes only with its last member.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.proc.pid, sig)
    elif child.proc.poll() is None:
        child.proc.terminate()  # Windows: TerminateProcess, there is nothing gentler to send


def _group_alive(child: Child) -> bool:
    if child.proc.poll() is None:
        return True
    if os.name != "posix":
        return False
    try:
        os.killpg(child.proc.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_all(children: Sequence[Child], grace: float = GRACE) -> None:
    """SIGTERM every child's group, wait up to ``grace`` s, SIGKILL what is left."""
    for child in children:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_group_alive(c) for c in children):
        time.sleep(0.05)
    for child in children:
        if _group_alive(child):
            _signal_group(child, getattr(signal, "SIGKILL", signal.SIGTERM))
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.proc.wait(timeout=grace)
        child.pump.join(timeout=1.0)


def wait_healthy(url: str, server: Child, timeout: float = HEALTH_TIMEOUT) -> None:
    """Return once ``url/healthz`` answers 200; raise if the server dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1.0) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url}/healthz within {timeout:.0f} s")
