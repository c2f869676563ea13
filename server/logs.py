"""One structured line per event: ``time level logger event=... key=value``.

Callers log ``event=<name>`` first, then facts, as ``log.info("event=x user=%s",
value)``. Tokens, passwords and full JTIs never reach a log line (a JTI is
shortened to 8 characters for correlation).

Every interpolated argument is written the logfmt way by :class:`LogfmtFormatter`:
numbers as they are, text bare when it is printable and holds no space, ``=``,
``"`` or ``\\``, and otherwise double-quoted with backslash escapes (``\\n``,
``\\"``, ``\\x1b``, ``\\u202e``...). So whatever a client sends (a device
name, a forwarded address, a path) stays inside its own field on its own
line, for ``%s`` and ``%r`` alike. Not covered: the message template itself
(keep client data out of it) and a traceback attached by ``log.exception``,
which spans lines of its own.

The event loop never waits on stderr: a line is formatted where it is logged
(so its values are the ones of that moment) and written by one thread of its
own, lines queued meanwhile in the same write. Lines still queued when the
process is killed (SIGKILL) are lost; a normal exit flushes them. Hot paths log
at most one INFO line per event that matters (a login, a displacement); the
WebSocket library's line per closed connection is DEBUG. Records skip what no
line shows (caller frame, thread name), as the logging HOWTO's "Optimization"
section describes.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from queue import Empty, SimpleQueue
from typing import TextIO, TypeVar

T = TypeVar("T")

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: Libraries' loggers that write one INFO line per connection; DEBUG shows them.
_CHATTY = ("sanic.websockets",)


def logfmt_quote(text: str) -> str:
    """``text`` as a logfmt value: bare if safe, else quoted with backslash escapes."""
    # Four substring scans in C beat a set walk over the text's characters.
    if (
        text
        and text.isprintable()
        and " " not in text
        and "=" not in text
        and '"' not in text
        and "\\" not in text
    ):
        return text
    return '"' + "".join(_escape(ch) for ch in text) + '"'


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch == " " or ch.isprintable():
        return ch
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class _Value:
    """An argument that renders quoted under both ``%s`` and ``%r``."""

    __slots__ = ("text",)

    def __init__(self, value: object) -> None:
        self.text = logfmt_quote(value if isinstance(value, str) else str(value))

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def _field(value: object) -> object:
    # Numbers stay numbers so that %d and %.3f keep working.
    return value if isinstance(value, int | float) else _Value(value)


class LogfmtFormatter(logging.Formatter):
    """A Formatter that quotes every argument of the message (see the module docstring)."""

    _stamp: tuple[int, str] = (-1, "")  # the last second formatted, and its text

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if not args:
            return super().format(record)
        if isinstance(args, Mapping):
            record.args = {key: _field(value) for key, value in args.items()}
        else:
            record.args = tuple(_field(value) for value in args)
        try:
            return super().format(record)
        finally:
            record.args = args  # other handlers see the record as it was logged

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is None or "%f" in datefmt:
            return super().formatTime(record, datefmt)
        # Lines within one second share its text: strftime once per second.
        second = int(record.created)
        if self._stamp[0] != second:
            self._stamp = (second, time.strftime(datefmt, self.converter(record.created)))
        return self._stamp[1]


class _Writer:
    """Writes lines to a stream from a thread of its own; a burst goes out in one write."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lines: SimpleQueue[str | None] = SimpleQueue()  # None: stop
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()

    def put(self, line: str) -> None:
        self._lines.put(line)

    def _run(self) -> None:
        lines, stopping = self._lines, False
        while not stopping:
            burst = [lines.get()]
            with contextlib.suppress(Empty):
                while True:
                    burst.append(lines.get_nowait())
            stopping = None in burst
            text = "".join(line for line in burst if line is not None)
            with contextlib.suppress(OSError, ValueError):  # a closed stderr: nothing to do
                self._stream.write(text)
                self._stream.flush()

    def stop(self) -> None:
        """Write what is queued, then end the thread."""
        self._lines.put(None)
        self._thread.join(5)


class _LineHandler(logging.Handler):
    """Formats the line where it is logged (values as they are now) and queues it."""

    def __init__(self, writer: _Writer) -> None:
        super().__init__()
        self._writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._writer.put(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


_writer: _Writer | None = None


def setup_logging(level: str = "INFO") -> None:
    """Send ``loginguard.*`` lines to stderr through a writer thread; quiet chatty libraries.

    Safe to call again (each worker process calls it after Sanic configured its
    own loggers): the previous writer is flushed and replaced.
    """
    global _writer
    if _writer is not None:
        _writer.stop()
    _writer = _Writer(sys.stderr)
    handler = _LineHandler(_writer)
    handler.setFormatter(
        LogfmtFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    # What no line here shows, and every record would otherwise look up: the
    # caller's frame, thread and multiprocessing names (Sanic's lines show the pid).
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    root = logging.getLogger("loginguard")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    for name in _CHATTY:
        logging.getLogger(name).setLevel(level if level == "DEBUG" else "WARNING")


def logged(factory: Callable[[], T], level: str) -> T:
    """``factory()``, then :func:`setup_logging` in this process.

    For the app factory of every worker: Sanic configures its own loggers when an
    app is made, and worker processes (``--workers N``) start without the
    launcher's logging.
    """
    made = factory()
    setup_logging(level)
    return made


@atexit.register
def _flush() -> None:
    if _writer is not None:
        _writer.stop()
