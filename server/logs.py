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
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

_SPECIAL = frozenset(' ="\\')
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def logfmt_quote(text: str) -> str:
    """``text`` as a logfmt value: bare if safe, else quoted with backslash escapes."""
    if text and text.isprintable() and _SPECIAL.isdisjoint(text):
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
        self.text = logfmt_quote(str(value))

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def _field(value: object) -> object:
    # Numbers stay numbers so that %d and %.3f keep working.
    return value if isinstance(value, int | float) else _Value(value)


class LogfmtFormatter(logging.Formatter):
    """A Formatter that quotes every argument of the message (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if args:
            if isinstance(args, Mapping):
                quoted: object = {key: _field(value) for key, value in args.items()}
            else:
                quoted = tuple(_field(value) for value in args)
            record = logging.makeLogRecord({**record.__dict__, "args": quoted})
        return super().format(record)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        LogfmtFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger("loginguard")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
