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
own (:class:`logging.handlers.QueueListener`). Lines still queued when the
process is killed (SIGKILL) are lost; a normal exit flushes them. Hot paths log
at most one INFO line per event that matters (a login, a displacement); the
WebSocket library's line per closed connection is DEBUG.
"""

from __future__ import annotations

import atexit
import logging
import sys
import time
from collections.abc import Callable, Mapping
from logging.handlers import QueueHandler, QueueListener
from queue import SimpleQueue
from typing import TypeVar

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


_listener: QueueListener | None = None


def setup_logging(level: str = "INFO") -> None:
    """Send ``loginguard.*`` lines to stderr through a writer thread; quiet chatty libraries.

    Safe to call again (each worker process calls it after Sanic configured its
    own loggers): the previous writer is flushed and replaced.
    """
    global _listener
    if _listener is not None:
        _listener.stop()
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(logging.Formatter("%(message)s"))  # the line came formatted
    queue: SimpleQueue[logging.LogRecord] = SimpleQueue()
    handler = QueueHandler(queue)
    handler.setFormatter(
        LogfmtFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    _listener = QueueListener(queue, stream)
    _listener.start()
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
    if _listener is not None:
        _listener.stop()
