"""The main process of ``--workers N``: it replaces a worker that dies and stops them all in time.

Sanic's ``WorkerManager`` starts the workers and restarts one when asked
(``restart(process_names=...)``, its reloader's way), but it never noticed a
worker that died on its own: after ``kill -9`` of one of two workers the other
served alone, silently, for good. Its stop could hang too: a stop signal during
start-up was put back in the queue behind the workers' acknowledgements, which
stopped workers never send, so the main process waited forever; its join waited
forever for a worker that missed its stop signal; and a second signal killed the
whole process group, the main process with it. :class:`Supervisor` is that
manager with these gaps filled:

* A worker that ends while the server is not stopping is logged
  (``event=worker_died``, ERROR; ``loginguard_worker_deaths_total``), its live
  figures leave ``/metrics``, and Sanic's restart replaces it;
  ``event=worker_replaced`` (WARNING) follows once the new one is up.
* ``CRASH_LIMIT`` deaths within ``CRASH_WINDOW`` seconds mean that something kills
  workers as fast as they come back: the server stops (``event=worker_crash_loop``)
  and exits 1, for systemd to restart or give up on. So does a worker that fails
  to start at all, as in Sanic.
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
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.managers import SyncManager
from types import FrameType
from typing import Any, TypeVar

from sanic.mixins import startup
from sanic.worker.constants import ProcessState
from sanic.worker.manager import MonitorCycle, WorkerManager
from sanic.worker.process import WorkerProcess

from server import metrics, stop

log = logging.getLogger("loginguard.supervisor")
T = TypeVar("T")

CRASH_LIMIT = 3  # worker deaths ...
CRASH_WINDOW = 60.0  # ... within this many seconds: stop and exit 1
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
    """Sanic's ``WorkerManager`` that replaces dead workers and bounds every stop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Set before Sanic's __init__, which installs the signal handlers.
        self.exit_code = 0
        self._deaths: deque[float] = deque()  # when recent deaths happened
        self._replacing: dict[str, tuple[int, float]] = {}  # name → (dead pid, when)
        self._deadline: float | None = None  # set when the stop begins
        self._died_total = metrics.worker_deaths()
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
                self._bury_the_dead()
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

    def _handle_message(self, message: str) -> MonitorCycle | None:
        if message == "__TERMINATE_EARLY__":
            return None  # a replacement failed to start: its death is counted anyway
        return super()._handle_message(message)

    def _sync_states(self) -> None:
        self._bury_the_dead()
        if self._shutting_down:
            return
        try:
            super()._sync_states()  # type: ignore[no-untyped-call]
            self._announce_replacements()
        except (OSError, EOFError):
            self._keeper_lost()

    def _bury_the_dead(self) -> None:
        """Log, count and replace every worker that ended without being asked to."""
        for process in list(self.transient_processes):
            if self._shutting_down:
                return
            if process.pid is None or process.is_alive():
                continue
            self._died(process)

    def _died(self, process: WorkerProcess) -> None:
        pid, code = int(process.pid), int(process.exitcode)
        now = time.monotonic()
        self._deaths.append(now)
        while self._deaths[0] < now - CRASH_WINDOW:
            self._deaths.popleft()
        deaths = len(self._deaths)
        self._died_total.inc()
        metrics.forget_process(pid)
        if code < 0:  # killed by a signal
            died = "event=worker_died worker=%s pid=%d signal=%s deaths=%d window=%ds"
            how: object = _signal_name(-code)
        else:
            died = "event=worker_died worker=%s pid=%d exitcode=%d deaths=%d window=%ds"
            how = code
        log.error(died, process.name, pid, how, deaths, CRASH_WINDOW)
        if deaths >= CRASH_LIMIT:
            log.error("event=worker_crash_loop deaths=%d window=%ds", deaths, CRASH_WINDOW)
            self._give_up()
            return
        try:
            with _stop_signals_blocked():
                self.restart(process_names=[process.name])
        except Exception as exc:
            log.error("event=worker_restart_failed worker=%s error=%r", process.name, exc)
            self._give_up()
            return
        self._replacing[process.name] = (pid, now)

    def _announce_replacements(self) -> None:
        for process in self.transient_processes:
            dead = self._replacing.get(process.name)
            if dead is not None and process.state is ProcessState.ACKED:
                del self._replacing[process.name]
                after = time.monotonic() - dead[1]
                replaced = "event=worker_replaced worker=%s pid=%d old_pid=%d after=%.1fs"
                log.warning(replaced, process.name, process.pid, dead[0], after)

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
