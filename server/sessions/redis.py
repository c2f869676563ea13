"""Redis engine: production, shared by any number of workers on any number of nodes.

Every change to a user's sessions is one Lua script (``scripts/*.lua``, each with
a KEYS/ARGV header) touching only that user's keys, which share the hash tag
``{u:<user>}`` (see :mod:`.keys`), so the scripts run unchanged on Redis Cluster
(a ``redis+cluster://`` URL, see :mod:`.redis_conn`); walks over every user go
through :mod:`.redis_scan`, node by node. Deadlines are judged by the injectable
clock passed into the scripts; key TTLs only collect garbage.

Not guaranteed: events are Redis pub/sub, delivered at most once (``listen``
resyncs after a reconnect; tombstones stay the truth). Redis must not evict keys
under memory pressure (``maxmemory-policy noeviction``): a lost index reads as
"every session of the user ended", which fails closed but signs the user out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from redis.typing import EncodableT

from server.sessions import redis_codec as codec
from server.sessions import redis_events, redis_scan
from server.sessions.base import (
    Clock,
    EventHandler,
    LoginOutcome,
    Resync,
    SessionRecord,
    SessionStore,
    Status,
    User,
)
from server.sessions.keys import Keys
from server.sessions.policy import Policy
from server.sessions.redis_conn import Call, Link
from shared.messages import By
from shared.reasons import EndReason

_SCAN_CACHE = 5.0  # seconds a scan_sessions page may be served from the cache
_SCAN_BATCH = 500


def _oldest_first(records: list[SessionRecord]) -> list[SessionRecord]:
    return sorted(records, key=lambda r: (r.created_at, r.jti))


class RedisStore(SessionStore):
    """Sessions in Redis, one atomic script per change.

    A login is one EVALSHA; ``check_many`` is one pipelined round trip (per
    cluster node). At most ``max_connections`` calls are in flight; a dead Redis
    fails calls within about ``timeout`` seconds with :class:`StoreUnavailable`
    and is used again, without a restart, once it is back. ``ttl_margin`` seconds
    are added to every key TTL so Redis never drops a record the clock still
    considers alive.
    """

    name = "redis"
    self_expiring = True  # key TTLs; purge_expired is a whole-keyspace walk

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "lg",
        clock: Clock = time.time,
        max_connections: int = 32,
        timeout: float = 2.0,
        ttl_margin: float = 5.0,
    ) -> None:
        super().__init__(clock)
        self._keys = Keys(prefix)
        self._link = Link(url, max_connections=max_connections, timeout=timeout)
        self._margin_ms = math.ceil(ttl_margin * 1000)
        self._login = self._link.script("login.lua")
        self._check = self._link.script("check.lua")
        self._end = self._link.script("end.lua")
        self._list = self._link.script("list.lua")
        self._hit = self._link.script("hit.lua", lib=False)

    # -- sessions ---------------------------------------------------------------

    async def login(
        self,
        new: SessionRecord,
        *,
        policy: Policy,
        max_sessions: int,
        takeover: bool,
        idle_ttl: float,
    ) -> LoginOutcome:
        now = self.clock()
        by = By(device_name=new.device_name, ip=new.ip, at=now)
        keys = self._keys
        args: list[EncodableT] = [keys.of_user(new.user), keys.channel, new.user, now]
        args += [new.jti, new.device_id, new.device_name, new.ip, new.created_at, new.expires_at]
        args += [min(now + idle_ttl, new.expires_at), policy.value, max_sessions, int(takeover)]
        args += [codec.dump_by(by), self._margin_ms]
        reply = await self._link.run(self._login, ([keys.index(new.user)], args))
        admitted, n_ended = int(reply[0]), int(reply[1])
        found = codec.records(new.user, reply[3:])
        ended, conflicts = tuple(found[:n_ended]), tuple(found[n_ended:])
        return LoginOutcome(new if admitted else None, ended, conflicts)

    def _check_call(self, user: str, jti: str, now: float, touch_ttl: float | None) -> Call:
        touch: EncodableT = "" if touch_ttl is None else now + touch_ttl
        args: list[EncodableT] = [self._keys.of_user(user), jti, now, touch, self._margin_ms]
        return [self._keys.index(user)], args

    async def check(self, user: str, jti: str, *, touch_ttl: float | None = None) -> Status:
        reply = await self._link.run(
            self._check, self._check_call(user, jti, self.clock(), touch_ttl)
        )
        return codec.status(user, jti, reply)

    async def check_many(
        self, refs: Sequence[tuple[str, str]], *, touch_ttl: float | None = None
    ) -> list[Status]:
        now = self.clock()
        calls = [self._check_call(user, jti, now, touch_ttl) for user, jti in refs]
        replies = await self._link.run_many(self._check, calls)
        return [codec.status(u, j, r) for (u, j), r in zip(refs, replies, strict=True)]

    async def _end_sessions(
        self, user: str, reason: EndReason, by: By | None, *jti: str
    ) -> list[SessionRecord]:
        keys = self._keys
        args: list[EncodableT] = [keys.of_user(user), keys.channel, user, self.clock()]
        args += [reason.value, codec.dump_by(by), self._margin_ms, *jti]
        return codec.records(user, await self._link.run(self._end, ([keys.index(user)], args)))

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
        return [self._keys.index(user)], [self._keys.of_user(user), now]

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

    async def footprint(self, user: str) -> int:
        account = self._keys.account(user)
        pattern = self._keys.user_pattern(user)
        found = await redis_scan.every(self._link, match=pattern, count=_SCAN_BATCH)
        return sum(1 for key in found if key != account)

    # -- events -----------------------------------------------------------------

    async def listen(self, handler: EventHandler, resync: Resync) -> None:
        await redis_events.listen(self._link, self._keys.channel, handler, resync)

    # -- users ------------------------------------------------------------------

    async def put_user(self, user: User) -> None:
        async with self._link.io() as r:
            await r.hset(self._keys.account(user.username), mapping=codec.user_fields(user))

    async def get_user(self, username: str) -> User | None:
        async with self._link.io() as r:
            fields = await r.hgetall(self._keys.account(username))
        return codec.user_of({str(k): str(v) for k, v in fields.items()})

    async def list_users(self) -> list[User]:
        pattern = self._keys.account_pattern
        found = await redis_scan.every(self._link, match=pattern, count=_SCAN_BATCH)
        async with self._link.io() as r, r.pipeline(transaction=False) as pipe:
            for key in found:
                pipe.hgetall(key)
            replies = await pipe.execute()  # in order, whichever node holds each key
        users = [user for user in map(codec.user_of, replies) if user is not None]
        return sorted(users, key=lambda u: u.username)

    # -- rate limits ------------------------------------------------------------

    async def hit(self, key: str, window: float) -> int:
        now = self.clock()
        ttl_ms = math.ceil(window * 1000) + self._margin_ms
        args: list[EncodableT] = [now, now + window, ttl_ms]
        return int(await self._link.run(self._hit, ([self._keys.rate(key)], args)))

    async def peek(self, key: str) -> tuple[int, float]:
        async with self._link.io() as r:
            count, reset = await r.hmget(self._keys.rate(key), ["n", "reset"])
        if count is None or reset is None:
            return (0, 0.0)
        remaining = float(reset) - self.clock()
        return (int(count), remaining) if remaining > 0 else (0, 0.0)

    async def clear(self, key: str) -> None:
        async with self._link.io() as r:
            await r.unlink(self._keys.rate(key))

    # -- lifecycle --------------------------------------------------------------

    async def ping(self) -> None:
        await self._link.ping()

    async def close(self) -> None:
        await self._link.close()
