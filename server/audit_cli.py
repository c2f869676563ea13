"""python -m server audit tail — the audit stream, one event per line.

Reads the audit of a Redis store (``--redis-url`` or ``LOGINGUARD_REDIS_URL``,
``--redis-prefix``), as the ``users`` commands do. The embedded memory store keeps
its audit inside the server process, so there is nothing here to read: ask that
server for it (``GET /api/admin/audit`` with an admin's token).

Lines are human text by default: local time with its zone, event, user, then the
entry's fields as ``name=value`` (text values quoted, with control and format
characters escaped, since device names come from users); ``--json`` prints one
JSON object per line instead. ``--follow`` then waits for new events until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from server.sessions.audit import AuditEntry, parse_since
from server.sessions.records import StoreUnavailable
from server.users_cli import _without_password
from shared.usernames import RULE, valid_username

_PAGE = 1000
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="loginguard-server audit")
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--redis-url", default=os.environ.get("LOGINGUARD_REDIS_URL"))
    store.add_argument("--redis-prefix", default=os.environ.get("LOGINGUARD_REDIS_PREFIX", "lg"))
    sub = p.add_subparsers(dest="cmd", required=True)
    tail = sub.add_parser("tail", parents=[store], help="print audit events, oldest first")
    tail.add_argument("--user", help="only this account's events")
    tail.add_argument(
        "--since",
        help="from this time on: a duration back (10m, 2h, 7d), an ISO time, Unix seconds, "
        "or an event's id (default: the latest --count events)",
    )
    tail.add_argument(
        "--count",
        type=int,
        default=None,
        help="at most this many events before following (default: 20 without --since, all with it)",
    )
    tail.add_argument("--follow", "-f", action="store_true", help="then wait for new events")
    tail.add_argument("--json", action="store_true", help="one JSON object per line")
    return p


def _quoted(text: str) -> str:
    """``text`` in double quotes, safe for a terminal and a log parser."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif unicodedata.category(ch) in _UNSAFE:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _fields(name: str, value: Any) -> list[str]:
    """``name=value`` words; a ``by`` becomes ``by`` (the device) and ``by_ip``."""
    if isinstance(value, dict) and "device_name" in value:
        return [
            f"{name}={_quoted(str(value['device_name']))}",
            f"{name}_ip={_value(value.get('ip', ''))}",
        ]
    return [f"{name}={_value(value)}"]


def _value(value: Any) -> str:
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, dict | list):
        return _quoted(json.dumps(value, ensure_ascii=False))
    return str(value)


def human(entry: AuditEntry) -> str:
    """One line: local time with zone, event, user, then name=value fields."""
    when = datetime.fromtimestamp(entry.at).astimezone()
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d} "
    stamp += when.strftime("%Z") or when.strftime("%z")
    fields = " ".join(w for name, v in entry.fields.items() for w in _fields(name, v))
    return f"{stamp} {entry.event:<14} {_quoted(entry.user)} {fields}".rstrip()


def _line(entry: AuditEntry, as_json: bool) -> str:
    if as_json:
        return json.dumps(entry.public(), ensure_ascii=True)
    return human(entry)


async def _tail(a: argparse.Namespace, since: str | float | None) -> int:
    from server.sessions.factory import redis_stores

    stores = redis_stores(a.redis_url, prefix=a.redis_prefix)
    try:
        audit = stores.audit
        last: str | float | None = since
        if since is None:
            page = await audit.read(a.user, None, a.count or 20)
            entries = page.entries
        else:
            entries = []
            while len(entries) < (a.count or sys.maxsize):
                page = await audit.read(a.user, last, min(_PAGE, a.count or _PAGE))
                entries += page.entries
                last = page.next or (page.entries[-1].id if page.entries else last)
                if page.next is None:
                    break
            entries = entries[: a.count] if a.count else entries
        for entry in entries:
            print(_line(entry, a.json), flush=True)
        if not a.follow:
            return 0
        cursor: str | float | None = entries[-1].id if entries else last
        # Ctrl-C (or a stop signal) ends the loop at its next turn, within a second,
        # rather than by cancelling a blocked read.
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C interrupts
                loop.add_signal_handler(signum, stop.set)
        async for entry in audit.follow(a.user, cursor, stop=stop):
            print(_line(entry, a.json), flush=True)
        return 0
    except StoreUnavailable:
        print(f"audit: cannot reach Redis at {_without_password(a.redis_url)}", file=sys.stderr)
        return 1
    finally:
        await stores.close()


def run(argv: Sequence[str]) -> int:
    a = _parser().parse_args(argv)
    if not a.redis_url:
        print(
            "audit: needs --redis-url (or LOGINGUARD_REDIS_URL). The embedded memory store "
            "keeps its audit inside the server process and shares it with no one: ask that "
            "server for it, GET /api/admin/audit with an admin's token.",
            file=sys.stderr,
        )
        return 2
    if a.user is not None and not valid_username(a.user):
        print(f"audit: --user {a.user!r}: {RULE}", file=sys.stderr)
        return 2
    if a.count is not None and not 1 <= a.count <= 1_000_000:
        print("audit: --count must be between 1 and 1000000", file=sys.stderr)
        return 2
    since = None
    if a.since is not None:
        try:
            since = parse_since(a.since, time.time())
        except ValueError as exc:
            print(f"audit: --since {a.since!r}: {exc}", file=sys.stderr)
            return 2
    try:
        return asyncio.run(_tail(a, since))
    except KeyboardInterrupt:
        return 0  # Ctrl-C while following: a clean stop
    except BrokenPipeError:  # `audit tail -f | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
