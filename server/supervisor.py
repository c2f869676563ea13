"""The main process of ``--workers N``: it stops all its workers in time.

Sanic's ``WorkerManager`` starts the workers, but its stop could hang: a stop signal during
start-up was put back in the queue behind the workers' acknowledgements, which
stopped workers never send, so the main process waited forever; its join waited
forever for a worker that missed its stop signal; and a second signal killed the
whole process group, the main process with it. :class:`Supervisor` is that
manager with these gaps filled:

* A worker that fails to start ends the server with exit 1, as in Sanic.
* A stop signal at any moment stops every worker: asked with SIGTERM, asked again
  every second (one may have missed it, see ``server/stop.py``), killed at
  ``STOP_DEADLINE``; a second stop signal kills them at once. The main process
  then exits 0.
* Workers start with the stop signals blocked, so that one sent while a worker
  starts is held until it can take it (:func:`server.stop.note_requests`).
* Every process the main process spawns ends when the main process dies, even by
  SIGKILL (Linux ``PR_SET_PDEATHSIG``; elsewhere they are left running): a worker
  is sent SIGTERM and stops as for any stop signal; Sanic's keeper of the
  workers' states is killed. The keeper ignores stop signals meanwhile: a SIGTERM
  to the whole process group ended it while the main process still needed it.

Tied to ``WorkerManager`` internals of the Sanic versions pinned in
``pyproject.toml`` (``wait_for_ack``, ``_poll_monitor``, ``_sync_states``,
``shutdown``, ``join``); ``tests/server/test_lifecycle.py`` fails if they move.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from multiprocessing.managers import SyncManager
from types import FrameType
from typing import Any, TypeVar

from sanic.mixins import startup
from sanic.worker.manager import MonitorCycle, WorkerManager
from sanic.worker.process import WorkerProcess

from server import stop

log = logging.getLogger("loginguard.supervisor")
T = TypeVar("T")

STOP_DEADLINE = 8.0  # seconds from a stop signal until the workers left are killed
ASK_AGAIN_EVERY = 1.0  # seconds between stop requests to a worker that goes on running


@contextlib.contextmanager
def supervised() -> Iterator[None]:
    """Within, ``Sanic.serve`` manages its workers with a :class:`Supervisor`."""
    module: Any = startup  # Sanic.serve looks both up there when it runs
    originals = module.WorkerManager, module.Manager
    module.WorkerManager, module.Manager = Supervisor, _state_keeper
    os.environ[stop.PARENT_ENV] = str(os.getpid())
    try:
        yield
    finally:
        module.WorkerManager, module.Manager = originals


def in_worker(factory: Callable[[], T]) -> T:
    """``factory()``; first, in a worker, end with the main process and note stop signals.

    For the app factory, which a worker calls first thing (and the main process
    too, where this adds nothing).
    """
    if os.environ.get("SANIC_WORKER_NAME"):  # set by Sanic for the process it starts
        stop.end_with_parent()
        stop.note_requests()
    return factory()


def _state_keeper() -> SyncManager:
    """Sanic's ``Manager()``, whose process also ends with the main process."""
    keeper = SyncManager(ctx=multiprocessing.get_context())
    keeper.start(initializer=stop.keep_until_parent_ends)
    return keeper


@contextlib.contextmanager
def _stop_signals_blocked() -> Iterator[None]:
    # A child inherits the signal mask of the thread that starts it.
    old = signal.pthread_sigmask(signal.SIG_BLOCK, stop.STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class Supervisor(WorkerManager):
    """Sanic's ``WorkerManager`` whose every stop ends, in time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Set before Sanic's __init__, which installs the signal handlers.
        self.exit_code = 0
        self._deadline: float | None = None  # set when the stop begins
        super().__init__(*args, **kwargs)
        noted = stop.requested()
        if noted is not None:  # the signal came while the main process was starting
            self.shutdown_signal(noted, None)

    # -- start-up --------------------------------------------------------------------

    def start(self) -> None:
        if self._shutting_down:
            return
        with _stop_signals_blocked():
            super().start()  # type: ignore[no-untyped-call]

    def wait_for_ack(self) -> None:
        """Sanic's wait for every worker's acknowledgement, ended by a stop or a failure.

        Other monitor messages are kept and put back afterwards, as Sanic did, but
        without spinning on them.
        """
        deadline = time.monotonic() + self.THRESHOLD / 10
        kept: list[object] = []
        try:
            while not self._shutting_down and not self._all_acked():
                if time.monotonic() > deadline:
                    log.error("event=workers_not_ready after=%ds", self.THRESHOLD // 10)
                    self._give_up()
                elif self.monitor_subscriber.poll(0.1):
                    message = self.monitor_subscriber.recv()
                    if message == "__TERMINATE_EARLY__":
                        log.error("event=worker_failed_to_start")
                        self._give_up()
                    else:
                        kept.append(message)
        finally:
            for message in kept:
                self.monitor_publisher.send(message)

    def _all_acked(self) -> bool:
        try:
            return bool(self._all_workers_ack())  # type: ignore[no-untyped-call]
        except (OSError, EOFError):
            self._keeper_lost()
            return False

    # -- running ---------------------------------------------------------------------

    def _poll_monitor(self) -> MonitorCycle | None:
        if self._shutting_down:
            return MonitorCycle.BREAK  # Sanic needed a message in the pipe for this
        return super()._poll_monitor()

    def _sync_states(self) -> None:
        if self._shutting_down:
            return
        try:
            super()._sync_states()  # type: ignore[no-untyped-call]
        except (OSError, EOFError):
            self._keeper_lost()

    def _keeper_lost(self) -> None:
        # Sanic's keeper of the workers' states is gone (killed on its own): the
        # workers cannot be managed any more.
        if not self._shutting_down:
            log.error("event=state_keeper_lost")
            self._give_up()

    def _give_up(self) -> None:
        self.exit_code = 1
        self.shutdown()

    # -- stopping --------------------------------------------------------------------

    def shutdown_signal(self, signum: int, frame: FrameType | None) -> None:
        name = _signal_name(signum)
        if self._shutting_down:
            log.warning("event=stop_forced signal=%s", name)
            self._kill_workers("forced")
            return
        log.info("event=stopping signal=%s", name)
        self.shutdown()

    def shutdown(self) -> None:
        """Ask every worker to stop; the monitor loop ends at its next turn.

        Signals only, no call to the state keeper: this runs in a signal handler,
        maybe while the main thread waits for the keeper's answer to another call.
        """
        self._shutting_down = True
        if self._deadline is None:
            self._deadline = time.monotonic() + STOP_DEADLINE
        for process in self.processes:
            if process.is_alive():
                _send(process, signal.SIGTERM)

    def join(self) -> None:
        """Wait for every worker to end: asked again every second, killed at the deadline."""
        if not self._shutting_down:
            self.shutdown()
        deadline = self._deadline or time.monotonic()
        ask_again = time.monotonic() + ASK_AGAIN_EVERY
        while alive := [p for p in self.processes if p.is_alive()]:
            now = time.monotonic()
            if now >= deadline:
                self._kill_workers("stop_deadline")
                deadline = math.inf
            elif now >= ask_again:
                for process in alive:
                    _send(process, signal.SIGTERM)
                ask_again = now + ASK_AGAIN_EVERY
            time.sleep(0.05)

    def _kill_workers(self, reason: str) -> None:
        for process in self.processes:
            if process.is_alive():
                killed = "event=worker_killed worker=%s pid=%d reason=%s"
                log.error(killed, process.name, process.pid, reason)
                _send(process, signal.SIGKILL)


def _send(process: WorkerProcess, sig: signal.Signals) -> None:
    # Safe from reuse: the pid of an unreaped child is still the child's.
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, sig)


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)
