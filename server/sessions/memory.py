"""Embedded engine: sessions and their events in this process's memory.

With this store you can only run ONE server worker on ONE node: sessions,
events and attempt limits are invisible to any other process, and all of it is
gone when the process exits (a restarted server then answers every earlier
token with ``server_reset``). It exists so that ``make run`` works on a machine
with no Redis; production uses :mod:`.redis`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Sequence

from server.sessions.attempts import Reservation
from server.sessions.base import SessionStore
from server.sessions.contest import ContestRule, ContestState, judge, retry_seconds
from server.sessions.events import EventBus, EventHandler, Resync
from server.sessions.memory_accounts import MemoryAttempts
from server.sessions.policy import Policy, SessionLimits, decide
from server.sessions.records import (
    Clock,
    ContestEvent,
    ContestRefusal,
    LoginOutcome,
    SessionEvent,
    SessionRecord,
    Status,
    StoreEvent,
    Tombstone,
    Unreachable,
)
from shared.messages import By
from shared.reasons import EndReason

_SCAN_CACHE_SECONDS = 5.0


class MemoryEvents(EventBus):
    """In-process delivery: it cannot be lost, so ``resync`` is never needed."""

    def __init__(self) -> None:
        self._handlers: list[EventHandler] = []

    def publish(self, event: StoreEvent) -> None:
        # Deliver after the caller's step completes, as a broker would.
        loop = asyncio.get_running_loop()
        for handler in list(self._handlers):
            loop.call_soon(handler, event)

    async def listen(self, handler: EventHandler, resync: Resync) -> None:
        self._handlers.append(handler)
        try:
            await asyncio.Event().wait()
        finally:
            self._handlers.remove(handler)


class MemorySessions(SessionStore):
    """Every method runs without an await in between, so each is atomic."""

    name = "memory"

    def __init__(self, clock: Clock, events: MemoryEvents, attempts: MemoryAttempts) -> None:
        super().__init__(clock)
        self._events = events
        self._attempts = attempts
        # user → jti → (record, idle deadline)
        self._live: dict[str, dict[str, tuple[SessionRecord, float]]] = {}
        # (user, jti) → (tombstone, kept until)
        self._tombs: dict[tuple[str, str], tuple[Tombstone, float]] = {}
        self._scan_cache: dict[tuple[str, int], tuple[float, list[SessionRecord], str]] = {}
        # jti → when its PC last held a socket (check with present); a login counts
        self._seen: dict[str, float] = {}
        # user → the ping-pong guard's state, with the rule it was last judged by
        self._contests: dict[str, tuple[ContestState, ContestRule]] = {}

    def _alive(self, user: str) -> dict[str, tuple[SessionRecord, float]]:
        """The user's sessions after idle ones became ``expired`` tombstones."""
        now = self.clock()
        held = self._live.get(user, {})
        for jti in [j for j, (_, deadline) in held.items() if deadline <= now]:
            record = held.pop(jti)[0]
            self._seen.pop(jti, None)
            if record.expires_at > now:
                self._tombs[(user, jti)] = (
                    Tombstone(jti, EndReason.EXPIRED, None),
                    record.expires_at,
                )
        if not held:
            self._live.pop(user, None)
        return held

    async def login(
        self,
        new: SessionRecord,
        *,
        policy: Policy,
        max_sessions: SessionLimits | int,
        takeover: bool,
        idle_ttl: float,
        settle: Reservation | None = None,
        presence_grace: float | None = None,
        contest: ContestRule | None = None,
    ) -> LoginOutcome:
        if settle is not None:
            self._attempts.settle(settle)
        held = self._alive(new.user)
        records = [rec for rec, _ in held.values() if rec.jti != new.jti]
        absent: list[str] = []
        if presence_grace is not None:
            since = self.clock() - presence_grace
            absent = [r.jti for r in records if self._seen.get(r.jti, r.created_at) < since]
        decision = decide(
            records, new.device_id, policy, max_sessions, takeover, absent, new.device_class
        )
        if not decision.admit:
            conflicts = tuple(held[j][0] for j in decision.conflicts)
            return LoginOutcome(None, (), conflicts)
        now = self.clock()
        if contest is not None and decision.displaces:
            refused = self._judge(new.user, now, contest)
            if refused is not None:
                return LoginOutcome(None, (), (), refused)
        by = By(device_name=new.device_name, ip=new.ip, at=now)
        ended = tuple(self._end(new.user, jti, EndReason.DISPLACED, by) for jti in decision.evict)
        self._live.setdefault(new.user, {})[new.jti] = (new, min(now + idle_ttl, new.expires_at))
        if len(self._live[new.user]) > 1:  # the other sessions' lists changed
            self._events.publish(SessionEvent(new.user, new.jti, None, None))
        return LoginOutcome(new, tuple(e for e in ended if e is not None), ())

    def _judge(self, user: str, now: float, rule: ContestRule) -> ContestRefusal | None:
        """The guard's verdict on a displacing login of ``user``: None admits it."""
        state = self._contests.get(user, (ContestState(), rule))[0]
        verdict = judge(state, now, rule)
        self._contests[user] = (verdict.state, rule)
        if not verdict.retry_after:
            return None
        if verdict.began:
            self._events.publish(ContestEvent(user, retry_seconds(verdict.retry_after)))
        return ContestRefusal(verdict.retry_after, verdict.began, verdict.displacements)

    async def uncontest(self, user: str) -> bool:
        entry = self._contests.pop(user, None)
        return entry is not None and entry[0].until > self.clock()

    def _end(self, user: str, jti: str, reason: EndReason, by: By | None) -> SessionRecord | None:
        held = self._alive(user)
        entry = held.pop(jti, None)
        self._seen.pop(jti, None)
        if not held:
            self._live.pop(user, None)
        if entry is None:
            return None
        record = entry[0]
        self._tombs[(user, jti)] = (Tombstone(jti, reason, by), record.expires_at)
        self._events.publish(SessionEvent(user, jti, reason, by))
        return record

    def _check(self, user: str, jti: str, touch_ttl: float | None, present: bool) -> Status:
        now = self.clock()
        entry = self._alive(user).get(jti)
        if entry is not None:
            record = entry[0]
            if touch_ttl is not None:
                self._live[user][jti] = (record, min(now + touch_ttl, record.expires_at))
            if present:
                self._seen[jti] = now
            return record
        tomb = self._tombs.get((user, jti))
        if tomb is None:
            return None
        if tomb[1] <= now:
            del self._tombs[(user, jti)]
            return None
        return tomb[0]

    async def check(
        self, user: str, jti: str, *, touch_ttl: float | None = None, present: bool = False
    ) -> Status:
        return self._check(user, jti, touch_ttl, present)

    async def check_many(
        self,
        refs: Sequence[tuple[str, str]],
        *,
        touch_ttl: float | None = None,
        present: bool = False,
    ) -> list[Status | Unreachable]:
        return [self._check(user, jti, touch_ttl, present) for user, jti in refs]

    async def end(
        self, user: str, jti: str, reason: EndReason, by: By | None = None
    ) -> SessionRecord | None:
        return self._end(user, jti, reason, by)

    async def end_all(
        self, user: str, reason: EndReason, by: By | None = None
    ) -> list[SessionRecord]:
        ended = [self._end(user, jti, reason, by) for jti in list(self._alive(user))]
        return [e for e in ended if e is not None]

    async def sessions_of(self, user: str) -> list[SessionRecord]:
        records = [rec for rec, _ in self._alive(user).values()]
        return sorted(records, key=lambda r: (r.created_at, r.jti))

    async def scan_sessions(self, cursor: str, count: int) -> tuple[list[SessionRecord], str]:
        now = self.clock()
        cached = self._scan_cache.get((cursor, count))
        if cached is not None and cached[0] > now:
            return cached[1], cached[2]
        after = _decode_cursor(cursor)
        keys = sorted(
            (user, jti)
            for user in list(self._live)
            for jti in self._alive(user)
            if (user, jti) > after
        )
        page = keys[:count]
        records = [self._live[user][jti][0] for user, jti in page]
        nxt = _encode_cursor(page[-1]) if len(keys) > count else "0"
        self._scan_cache[(cursor, count)] = (now + _SCAN_CACHE_SECONDS, records, nxt)
        return records, nxt

    async def purge_expired(self) -> int:
        before = sum(len(held) for held in self._live.values())
        for user in list(self._live):
            self._alive(user)
        after = sum(len(held) for held in self._live.values())
        now = self.clock()
        for tomb_key in [k for k, (_, until) in self._tombs.items() if until <= now]:
            del self._tombs[tomb_key]
        self._attempts.purge()
        for user, (state, rule) in list(self._contests.items()):
            if state.forgotten(now, rule):
                del self._contests[user]
        self._scan_cache = {k: v for k, v in self._scan_cache.items() if v[0] > now}
        return before - after

    async def housekeep(self) -> int:
        return await self.purge_expired()

    async def footprint(self, user: str) -> int:
        return len(self._live.get(user, {})) + sum(1 for u, _ in self._tombs if u == user)

    async def watch(self) -> bool:
        return False  # this memory lives and dies with the process

    async def ping(self) -> int:
        return 0


def _encode_cursor(key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[str, str]:
    if cursor in ("", "0"):
        return ("", "")
    if len(cursor) > 1400:  # what 1024 bytes encode to, and then some
        raise ValueError("bad cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii"))
        if len(raw) > 1024:
            raise ValueError("cursor too long")
        pair = json.loads(raw)
    except (ValueError, RecursionError, binascii.Error) as exc:  # UnicodeError is a ValueError
        raise ValueError("bad cursor") from exc
    if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
        raise ValueError("bad cursor")
    return (pair[0], pair[1])
