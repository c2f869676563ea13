"""Redis engine: production, shared by any number of workers on any number of nodes.

Every change to a user's sessions is one Lua script (``scripts/*.lua``, each with
a KEYS/ARGV header) touching only that user's keys, which share the hash tag
``{u:<user>}`` (see :mod:`.keys`), so the scripts run unchanged on Redis Cluster
(a ``redis+cluster://`` URL, see :mod:`.redis_conn`); walks over every user go
through :mod:`.redis_scan`, node by node. Deadlines are judged by the injectable
clock passed into the scripts; key TTLs only collect garbage. Every change also
bumps the write counter of :mod:`.redis_epoch`, in the same round trip and best effort, so a
Redis that went back in time is noticed and fails closed.

Not guaranteed: events are Redis pub/sub, delivered at most once (the event bus
resyncs after a reconnect; tombstones stay the truth). Redis must not evict keys
under memory pressure (``maxmemory-policy noeviction``): a lost index reads as
"every session of the user was reset", which fails closed but signs the user out.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any

from redis.commands.core import AsyncScript
from redis.typing import EncodableT

from server.sessions import redis_codec as codec
from server.sessions import redis_scan
from server.sessions.attempts import KNOWN_DEVICE_TTL, KNOWN_DEVICES, Reservation
from server.sessions.base import SessionStore
from server.sessions.contest import MEMORY, ContestRule
from server.sessions.keys import Keys
from server.sessions.policy import Policy, SessionLimits, as_limits
from server.sessions.records import (
    UNREACHABLE,
    Clock,
    ContestRefusal,
    LoginOutcome,
    SessionRecord,
    Status,
    StoreUnavailable,
    Unreachable,
)
from server.sessions.redis_accounts import RedisAttempts
from server.sessions.redis_audit import Streams
from server.sessions.redis_conn import Call, Link
from server.sessions.redis_epoch import Epoch
from shared.messages import By
from shared.reasons import EndReason

_SCAN_CACHE = 5.0  # seconds a scan_sessions page may be served from the cache
_SCAN_BATCH = 500


def _oldest_first(records: list[SessionRecord]) -> list[SessionRecord]:
    return sorted(records, key=lambda r: (r.created_at, r.jti))


class RedisSessions(SessionStore):
    """Sessions in Redis, one atomic script per change.

    A login is one round trip: ``login.lua``, with the epoch bump (and the IP
    bucket's give-back of its reservation) in the same pipeline on one server, and
    beside it, one pipeline per node, on a cluster; those two are best effort, so
    a dead shard holding them fails no login (see :meth:`_change`);
    ``check_many`` is one pipelined round trip (per cluster node), and answers
    the sessions of the shards that can be reached when one cannot.
    ``ttl_margin`` seconds are added to every key TTL so Redis never drops a
    record the clock still considers alive.
    """

    name = "redis"

    def __init__(
        self,
        link: Link,
        keys: Keys,
        attempts: RedisAttempts,
        streams: Streams,
        *,
        clock: Clock = time.time,
        ttl_margin: float = 5.0,
    ) -> None:
        super().__init__(clock)
        self._keys = keys
        self._link = link
        self._attempts = attempts
        self._streams = streams
        self._epoch = Epoch(link, keys, clock)
        self._margin_ms = math.ceil(ttl_margin * 1000)
        # Where the scripts publish: each user's own channel on a cluster (SPUBLISH, heard
        # only by the workers holding that user's sockets), the one channel on one server.
        self._sharded = link.cluster
        self._login = link.script("login.lua")
        self._check = link.script("check.lua")
        self._end = link.script("end.lua")
        self._list = link.script("list.lua")
        self._uncontest = link.script("uncontest.lua")

    # -- sessions ---------------------------------------------------------------

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
        limits = as_limits(max_sessions)
        limit = limits.limit_of(new.device_class)
        if limit is None:
            raise ValueError(f"device class {new.device_class!r} is not allowed by {limits}")
        now = self.clock()
        if new.created_at <= self._epoch.reset_at:
            # Born after the reset by definition, even on a node whose clock is behind.
            new = dataclasses.replace(new, created_at=self._epoch.reset_at + 0.001)
        by = By(device_name=new.device_name, ip=new.ip, at=now)
        k = self._keys
        bucket = k.account_bucket(new.user)
        if settle is not None:
            bucket = self._attempts.bucket_of(settle)
        keys = [k.index(new.user), bucket, k.devices(new.user)]
        keys += [k.contest(new.user), k.contest_log(new.user)]
        args: list[EncodableT] = [
            k.of_user(new.user),
            k.event_channel(new.user, sharded=self._sharded),
            new.user,
            now,
        ]
        args += [new.jti, new.device_id, new.device_name, new.ip, new.created_at, new.expires_at]
        args += [min(now + idle_ttl, new.expires_at), policy.value, limit, int(takeover)]
        args += [codec.dump_by(by), self._margin_ms, self._epoch.reset_at, int(settle is not None)]
        args += [math.ceil(KNOWN_DEVICE_TTL * 1000), KNOWN_DEVICES]
        args += ["" if presence_grace is None else presence_grace]
        if contest is None:
            args += [0, 0, 0, 0, 0]
        else:
            c = contest
            args += [c.limit, c.window, c.cooldown, c.max_cooldown, MEMORY]
        args += [new.device_class, int(limits.by_class)]
        give_ip = settle.ip if settle is not None and settle.holds_ip else None
        call = self._streams.call(keys, args)
        reply, learned = await self._change(self._login, call, give_ip)
        if learned and int(reply[0]):
            # The store lost writes just before this login: judge it again under
            # the reset, so that sessions from before the reset cannot block it and
            # this one is born after it.
            return await self.login(
                new,
                policy=policy,
                max_sessions=max_sessions,
                takeover=takeover,
                idle_ttl=idle_ttl,
                presence_grace=presence_grace,
                contest=contest,
            )
        admitted, n_ended = int(reply[0]), int(reply[1])
        if reply[3]:
            refused = ContestRefusal(float(reply[3]), int(reply[4]) == 1, int(reply[5]))
            return LoginOutcome(None, (), (), refused)
        found = codec.records(new.user, reply[6:])
        ended, conflicts = tuple(found[:n_ended]), tuple(found[n_ended:])
        return LoginOutcome(new if admitted else None, ended, conflicts)

    async def _change(
        self, script: AsyncScript, call: Call, give_ip: str | None = None
    ) -> tuple[Any, bool]:
        """Run a change ``script`` with, beside it and best effort, the epoch bump (and
        the give-back of ``give_ip``'s bucket); its reply and whether a reset was learned.

        On one server all of it is one pipeline: one round trip, one connection. On a
        cluster it is one pipeline per node, sent at once, and a node that cannot be
        reached fails only the calls it serves (``run_each``).
        """
        calls = [(script, call), self._epoch.bump_call()]
        if give_ip is not None:
            calls.append(self._attempts.give_ip(give_ip))
        reply, bumped, *given = await self._link.run_each(calls, raise_on_error=False)
        if isinstance(reply, Exception):
            raise reply
        if give_ip is not None:
            self._attempts.given_back_ip(give_ip, given[0])
        return reply, await self._epoch.answered(bumped)

    async def uncontest(self, user: str, *, by_admin: str = "") -> bool:
        keys = [self._keys.contest(user), self._keys.contest_log(user)]
        call = self._streams.call(keys, [self.clock(), user, by_admin])
        return bool(await self._link.run(self._uncontest, call))

    def _check_call(
        self, user: str, jti: str, now: float, touch_ttl: float | None, present: bool
    ) -> Call:
        k = self._keys
        touch: EncodableT = "" if touch_ttl is None else now + touch_ttl
        args: list[EncodableT] = [k.of_user(user), jti, now, touch, self._margin_ms]
        args += [
            k.event_channel(user, sharded=self._sharded),
            user,
            self._epoch.reset_at,
            int(present),
        ]
        return self._streams.call([k.index(user)], args)

    async def check(
        self, user: str, jti: str, *, touch_ttl: float | None = None, present: bool = False
    ) -> Status:
        call = self._check_call(user, jti, self.clock(), touch_ttl, present)
        return codec.status(user, jti, await self._link.run(self._check, call))

    async def check_many(
        self,
        refs: Sequence[tuple[str, str]],
        *,
        touch_ttl: float | None = None,
        present: bool = False,
    ) -> list[Status | Unreachable]:
        now = self.clock()
        calls = [self._check_call(user, jti, now, touch_ttl, present) for user, jti in refs]
        replies = await self._link.run_many(self._check, calls, partial=True)
        return [
            UNREACHABLE if isinstance(r, StoreUnavailable) else codec.status(u, j, r)
            for (u, j), r in zip(refs, replies, strict=True)
        ]

    async def _end_sessions(
        self, user: str, reason: EndReason, by: By | None, *jti: str
    ) -> list[SessionRecord]:
        keys = self._keys
        args: list[EncodableT] = [
            keys.of_user(user),
            keys.event_channel(user, sharded=self._sharded),
        ]
        args += [user, self.clock()]
        args += [reason.value, codec.dump_by(by), self._margin_ms, jti[0] if jti else ""]
        reply, _ = await self._change(self._end, self._streams.call([keys.index(user)], args))
        return codec.records(user, reply)

    async def end(
        self, user: str, jti: str, reason: EndReason, by: By | None = None
    ) -> SessionRecord | None:
        ended = await self._end_sessions(user, reason, by, jti)
        return ended[0] if ended else None

    async def end_all(
        self, user: str, reason: EndReason, by: By | None = None
    ) -> list[SessionRecord]:
        return _oldest_first(await self._end_sessions(user, reason, by))

    def _list_call(self, user: str, now: float) -> Call:
        args: list[EncodableT] = [self._keys.of_user(user), now, self._margin_ms]
        return self._streams.call([self._keys.index(user)], args)

    async def sessions_of(self, user: str) -> list[SessionRecord]:
        reply = await self._link.run(self._list, self._list_call(user, self.clock()))
        return _oldest_first(codec.records(user, reply[1:]))

    async def _list_step(self, cursor: str, count: int) -> tuple[str, list[tuple[str, Any]]]:
        """One step of a walk over the users' indexes, with ``list.lua``'s reply for each."""
        pattern = self._keys.index_pattern
        nxt, found = await redis_scan.step(self._link, cursor, match=pattern, count=count)
        now = self.clock()
        users = [self._keys.user_of_index(key) for key in dict.fromkeys(found)]
        replies = await self._link.run_many(self._list, [self._list_call(u, now) for u in users])
        return nxt, list(zip(users, replies, strict=True))

    async def scan_sessions(self, cursor: str, count: int) -> tuple[list[SessionRecord], str]:
        # A page is one step of a SCAN walk (redis_scan.step), so like SCAN it may
        # hold fewer than ``count`` sessions, or none, before the cursor is "0".
        redis_scan.validate(cursor)
        cache, now = self._keys.scan_page(cursor, count), self.clock()
        async with self._link.io() as r:
            cached = await r.get(cache)
        if cached is not None and (hit := codec.load_page(str(cached), now)) is not None:
            return hit
        nxt, listed = await self._list_step(cursor, count)
        page = [rec for user, reply in listed for rec in codec.records(user, reply[1:])]
        text = codec.dump_page(page, nxt, until=now + _SCAN_CACHE)
        async with self._link.io() as r:
            # The clock judges freshness; the key's TTL only collects it.
            await r.set(cache, text, px=math.ceil(_SCAN_CACHE * 1000) + self._margin_ms)
        return page, nxt

    async def purge_expired(self) -> int:
        """Walk every user's index (SCAN) and delete what passed its deadline.

        Keys also expire by themselves; the walk makes expiry follow the injected
        clock and yields a count. It costs one pass over the keyspace.
        """
        purged, cursor = 0, redis_scan.DONE
        while True:
            cursor, listed = await self._list_step(cursor, _SCAN_BATCH)
            purged += sum(int(reply[0]) for _, reply in listed)
            if cursor == redis_scan.DONE:
                return purged

    async def housekeep(self) -> int:
        return 0  # keys expire by themselves; see the SessionStore contract

    async def footprint(self, user: str) -> int:
        pattern = self._keys.user_pattern(user)
        found = await redis_scan.every(self._link, match=pattern, count=_SCAN_BATCH)
        of_user = self._keys.of_user(user)
        sessions = ("index", "s:", "t:")
        return sum(1 for key in found if key[len(of_user) :].startswith(sessions))

    async def watch(self) -> bool:
        return await self._epoch.watch()

    # -- lifecycle --------------------------------------------------------------

    async def ping(self) -> int:
        return await self._link.ping()
