"""The AuditLog contract: every session event, written by the step that made it.

Each engine writes an entry in the same atomic step as the change it records, so
the audit can neither miss nor invent one: a Lua script appends to a Redis Stream
(``XADD ... MAXLEN ~``, :mod:`.redis_audit`), the memory engine to a bounded ring
(:class:`MemoryAudit`) without an await in between. Reading is this module's
:class:`AuditLog`; one conformance suite runs it on every engine.

Events (:class:`AuditEvent`) and the fields they carry (absent when empty):
``at`` (the writer's clock, Unix seconds), ``event``, ``user``, ``jti`` (a session
id, never a token), ``device`` (the cleaned device name), ``ip``, ``reason``,
``by`` (who ended the session: ``{device_name, ip, at}``), and a few of their own
(``retry_after``, ``displacements``, ``admin``). Passwords are never written.

Not guaranteed: an entry for a session that ended without any step seeing it
(Redis's TTL backstop collects a session nobody checked again after its absolute
end), or one that is older than the bound (``--audit-max``) allows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from server.sessions.records import Clock

#: Entries a reader looks at per call at most, whatever it finds: a filtered read
#: may return fewer than asked, with a cursor to go on.
SCAN_BUDGET = 5000


class AuditEvent(StrEnum):
    LOGIN_ADMITTED = "login_admitted"
    # reason: session_active | contested | disabled | takeover_denied | takeover_pending
    LOGIN_REFUSED = "login_refused"
    LOGIN_FAILED = "login_failed"  # reason: bad_password | unknown_user
    # reason: account | device | ip (the full bucket) | takeovers (policy ask's 5 a minute)
    LOGIN_LIMITED = "login_limited"
    DISPLACED = "displaced"  # by: the device that signed in
    LOGGED_OUT = "logged_out"  # the PC signed itself out
    ENDED = "ended"  # reason: user (another PC of the account, by) | admin | disabled
    EXPIRED = "expired"
    SERVER_RESET = "server_reset"
    CONTESTED = "contested"  # the account's PCs keep taking it from each other
    UNCONTESTED = "uncontested"  # an administrator cleared the cool-down
    TAKEOVER = "takeover"  # policy ask: reason the request's new state, by the waiting PC


def ending_event(reason: str, by: object) -> tuple[AuditEvent, str]:
    """How the audit names the end of a session with this reason (as lib.lua's
    ``audit_end``): the event, and the entry's reason ("" for none)."""
    if reason == "logged_out" and by is not None:
        return AuditEvent.ENDED, "user"  # another PC of the account ended it
    if reason in ("admin", "disabled"):
        return AuditEvent.ENDED, reason
    return AuditEvent(reason), ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry. ``id`` orders entries and is the cursor after it (a Redis Stream id,
    or ``<ms>-<seq>-<slot>`` when read from several streams of a cluster)."""

    id: str
    at: float
    event: str
    user: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """The JSON form: id, at, event, user, then the entry's other fields."""
        return {"id": self.id, "at": self.at, "event": self.event, "user": self.user, **self.fields}


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    next: str | None  # pass as ``since`` for the following page; None: nothing more now


def entry_of(entry_id: str, raw: Mapping[str, str]) -> AuditEntry:
    """An entry from its stored name/value strings (``by`` is JSON)."""
    extra: dict[str, Any] = {}
    for name, value in raw.items():
        if name in ("at", "event", "user"):
            continue
        if name == "by":
            try:
                extra[name] = json.loads(value)
            except ValueError:
                extra[name] = value
        elif name in ("retry_after",):
            extra[name] = float(value)
        elif name == "displacements":
            extra[name] = int(value)
        else:
            extra[name] = value
    try:
        at = float(raw.get("at", "0"))
    except ValueError:
        at = 0.0
    return AuditEntry(entry_id, at, raw.get("event", ""), raw.get("user", ""), extra)


def id_key(entry_id: str) -> tuple[int, int, int]:
    """The order of an id: ``<ms>-<seq>`` or ``<ms>-<seq>-<slot>``; ValueError if malformed."""
    parts = entry_id.split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() and len(p) <= 20 for p in parts):
        raise ValueError(f"bad audit cursor {entry_id!r}")
    ms, seq, slot = (int(p) for p in (*parts, "0", "0")[:3])
    if ms >= 2**64 or seq >= 2**64 or slot >= 16384:
        raise ValueError(f"bad audit cursor {entry_id!r}")
    return ms, seq, slot


_DURATION = re.compile(r"([0-9]{1,9})([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SECONDS = re.compile(r"[0-9]{1,12}(\.[0-9]{1,9})?")
_ENTRY_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}(-[0-9]{1,5})?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_since(text: str, now: float) -> str | float:
    """``since`` as people write it: a duration back from ``now`` (``90s``, ``10m``,
    ``2h``, ``7d``), an ISO 8601 time (local time when it names no zone), Unix
    seconds, or an entry's id (``<ms>-<seq>[-<slot>]``). ValueError otherwise."""
    text = text.strip()
    if len(text) > 64:
        raise ValueError("since is too long")
    if duration := _DURATION.fullmatch(text):
        return now - int(duration[1]) * _UNITS[duration[2]]
    if _SECONDS.fullmatch(text):
        return float(text)
    if _ENTRY_ID.fullmatch(text) and not _ISO_DATE.fullmatch(text):
        id_key(text)
        return text
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "since must be a duration (10m, 2h), an ISO time, Unix seconds or an entry id"
        ) from None
    return (when if when.tzinfo else when.astimezone()).timestamp()


class AuditLog(ABC):
    """Reads the audit, oldest first. Writers are the engine's own atomic steps."""

    @abstractmethod
    async def read(self, user: str | None, since: str | float | None, count: int) -> AuditPage:
        """Up to ``count`` entries (of ``user`` only, if given), oldest first.

        ``since``: None for the latest ``count`` entries; a cursor (an entry's
        ``id``, or a page's ``next``) for the entries after it; a time (Unix seconds)
        for the entries written from then on. A read looks at no more than
        :data:`SCAN_BUDGET` entries, so a filtered page may be short; its ``next``
        then says where to go on. ``next`` is None when the read reached the end.
        A malformed cursor raises ValueError.
        """

    async def follow(
        self,
        user: str | None,
        since: str | float | None,
        *,
        poll: float = 1.0,
        stop: asyncio.Event | None = None,
    ) -> AsyncIterator[AuditEntry]:
        """Entries as they are written, from ``since`` on (None: from now), until
        ``stop`` is set (noticed within about ``poll`` seconds, or a second).

        The default reads pages in a loop, waiting ``poll`` seconds whenever it is
        at the end; engines that can block on new entries do. Stopping by ``stop``
        needs no cancellation, which a client library may not pass on cleanly while
        it blocks.
        """
        cursor: str | float | None = since
        if cursor is None:
            latest = (await self.read(user, None, 1)).entries
            cursor = latest[-1].id if latest else "0"
        while stop is None or not stop.is_set():
            page = await self.read(user, cursor, 1000)
            for entry in page.entries:
                yield entry
            if page.entries:
                cursor = page.entries[-1].id
            if page.next is not None:
                cursor = page.next
                continue
            if stop is None:
                await asyncio.sleep(poll)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll)


class MemoryAudit(AuditLog):
    """The embedded engine's audit: a ring of the last ``maxlen`` entries in this
    process. Like the rest of the memory engine it is seen by ONE process only, and
    gone when it exits."""

    def __init__(self, clock: Clock, maxlen: int) -> None:
        self._clock = clock
        self._ring: deque[AuditEntry] = deque(maxlen=maxlen)
        self._last = (0, -1)

    def write(self, event: AuditEvent, user: str, **fields: Any) -> None:
        """Append an entry now (call it in the step that made the change); empty
        fields are left out, as the Lua ``audit`` does."""
        at = self._clock()
        ms = max(int(at * 1000), self._last[0])
        seq = self._last[1] + 1 if ms == self._last[0] else 0
        self._last = (ms, seq)
        kept = {k: v for k, v in fields.items() if v not in (None, "")}
        self._ring.append(AuditEntry(f"{ms}-{seq}", at, event.value, user, kept))

    def __len__(self) -> int:
        return len(self._ring)

    async def read(self, user: str | None, since: str | float | None, count: int) -> AuditPage:
        if since is None:
            found: list[AuditEntry] = []
            for looked, entry in enumerate(reversed(self._ring), 1):
                if user is None or entry.user == user:
                    found.append(entry)
                if len(found) == count or looked == SCAN_BUDGET:
                    break
            return AuditPage(found[::-1], None)
        after = _after(since)
        looked, out, last = 0, [], None
        for entry in self._ring:
            if not after(entry):
                continue
            looked += 1
            last = entry.id
            if user is None or entry.user == user:
                out.append(entry)
            if len(out) == count or looked == SCAN_BUDGET:
                return AuditPage(out, last if self._ring[-1].id != last else None)
        return AuditPage(out, None)


def _after(since: str | float) -> Any:
    """A predicate: is an entry past ``since`` (a cursor, or a time)?"""
    if isinstance(since, str):
        key = id_key(since)
        return lambda e: id_key(e.id) > key
    return lambda e: e.at >= since
