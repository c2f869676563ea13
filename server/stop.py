"""A stop signal (SIGTERM, SIGINT) stops a server process once, at whatever stage it is.

Sanic answers these signals only while a process serves. Before that, SIGINT
raised KeyboardInterrupt wherever the process was (a traceback, and a worker that
went on starting); after it, every further signal stopped the event loop again,
and uvloop carries out a ``stop()`` at the loop's next run, which cut Sanic's own
shutdown short ("Event loop stopped before Future completed"). Here:

* :func:`note_requests`, as a process starts: a signal is only noted.
* :func:`install`'s listener, once the process serves: the first signal, or one
  noted before, stops the app; any later one is ignored, since the stop under way
  is bounded (``docs/deploy.md``, "Stopping").

A process the main process of ``--workers N`` spawned also gets SIGTERM when
the main process dies, even by SIGKILL (:func:`end_with_parent`, Linux only).

The handlers are plain ``signal.signal`` ones, not the event loop's: Sanic
removes the loop's handlers as it starts to shut down, which hands SIGINT back to
KeyboardInterrupt and SIGTERM back to instant death in the middle of the shutdown.

Not covered: Sanic ignores both signals from just before it starts serving until
:func:`install`'s listener runs (well under a millisecond); a signal then is
lost. The main process of ``--workers N`` repeats its stop request every second
(``server/supervisor.py``), so only a single-process server can miss one. Before
the interpreter runs this code nothing can be noted: SIGTERM ends the process at
once, as it does by default.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the main process notes signals before it imports Sanic
    from sanic import Sanic

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
#: The main process's pid, for a process it spawned to notice it died before prctl.
PARENT_ENV = "LOGINGUARD_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1  # <sys/prctl.h>

_requested: signal.Signals | None = None  # the first stop signal this process received
_stopping = False  # app.stop() is called or on its way: never twice


def _note(signum: int, frame: FrameType | None) -> None:
    global _requested
    if _requested is None:
        _requested = signal.Signals(signum)


def note_requests() -> None:
    """From now on a stop signal is noted, nothing more; :func:`install` acts on it.

    Also unblocks the signals, which a worker starts with blocked
    (``server/supervisor.py``): one sent meanwhile is noted now.
    """
    for sig in STOP_SIGNALS:
        signal.signal(sig, _note)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def end_with_parent(sig: signal.Signals = signal.SIGTERM) -> None:
    """Have ``sig`` sent to this process when its parent ends (Linux; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        return  # refused (a seccomp filter): this process outlives a killed parent
    parent = os.environ.get(PARENT_ENV)
    if parent and os.getppid() != int(parent):
        os.kill(os.getpid(), sig)  # it ended before the prctl above


def keep_until_parent_ends() -> None:
    """Ignore stop signals, and end when the parent ends: for Sanic's keeper of the
    workers' states, which the main process needs until its workers have stopped (a
    SIGTERM to the whole process group ended it first). The main process shuts it
    down last. Top-level, to be the initializer of the process it runs in.
    """
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    end_with_parent(signal.SIGKILL)


def requested() -> signal.Signals | None:
    """The first stop signal this process received, if any."""
    return _requested


def install(app: Sanic[Any, Any]) -> None:
    """Make ``app`` stop on the first stop signal, and on that one only.

    Call before registering other listeners: this one must be the first to run
    once the server is up, Sanic having just set both signals to be ignored.
    """
    app.after_server_start(_serving)


async def _serving(app: Sanic[Any, Any]) -> None:
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.remove_signal_handler(sig)  # Sanic's; unknown to the loop, ours stay put
        signal.signal(sig, lambda signum, _frame: _on_signal(app, loop, signum))
    if _requested is not None:
        _stop(app, loop)


def _on_signal(app: Sanic[Any, Any], loop: asyncio.AbstractEventLoop, signum: int) -> None:
    _note(signum, None)
    _stop(app, loop)


def _stop(app: Sanic[Any, Any], loop: asyncio.AbstractEventLoop) -> None:
    global _stopping
    if _stopping:
        return
    _stopping = True
    with contextlib.suppress(RuntimeError):  # the loop is closed: the process is ending
        loop.call_soon_threadsafe(_stop_when_serving, app, loop)


def _stop_when_serving(app: Sanic[Any, Any], loop: asyncio.AbstractEventLoop) -> None:
    # app.stop() stops whichever run of the loop comes next: it must be the
    # serving one, not the last turns of Sanic's start-up, which would then
    # end with "Event loop stopped before Future completed".
    if not app.state.is_running:
        loop.call_later(0.01, _stop_when_serving, app, loop)
        return
    app.stop(terminate=False)
