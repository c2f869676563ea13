"""Open one engine's stores - sessions, events, accounts, attempts, takeovers, audit - as one
bundle."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from server.sessions.accounts import AccountStore
from server.sessions.attempts import AttemptLimiter
from server.sessions.audit import AuditLog
from server.sessions.base import SessionStore
from server.sessions.events import EventBus
from server.sessions.records import Clock
from server.sessions.takeovers import Takeovers


@dataclass
class Stores:
    """The stores of one engine, sharing its connections; ``close`` releases them."""

    sessions: SessionStore
    events: EventBus
    accounts: AccountStore
    attempts: AttemptLimiter
    takeovers: Takeovers
    audit: AuditLog
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list, repr=False)

    @property
    def name(self) -> str:
        return self.sessions.name

    async def ping(self) -> int:
        """See :meth:`SessionStore.ping`."""
        return await self.sessions.ping()

    async def close(self) -> None:
        """Release connections. Safe to call twice."""
        closers, self.closers = self.closers, []
        for close in closers:
            await close()


#: Entries the audit keeps (``--audit-max``): the memory ring's length, the Redis
#: stream's ``MAXLEN ~`` (split over the slots on a cluster, see :mod:`.redis_audit`).
AUDIT_MAX = 100_000


def memory_stores(clock: Clock = time.time, *, audit_max: int = AUDIT_MAX) -> Stores:
    """The embedded engine: ONE worker on ONE node only (see :mod:`.memory`)."""
    from server.sessions.audit import MemoryAudit
    from server.sessions.memory import MemoryEvents, MemorySessions
    from server.sessions.memory_accounts import MemoryAccounts, MemoryAttempts
    from server.sessions.memory_takeovers import MemoryTakeovers

    accounts, events, audit = MemoryAccounts(), MemoryEvents(), MemoryAudit(clock, audit_max)
    attempts = MemoryAttempts(accounts, clock, audit)
    sessions = MemorySessions(clock, events, attempts, audit)
    takeovers = MemoryTakeovers(clock, events, audit)
    return Stores(sessions, events, accounts, attempts, takeovers, audit)


def redis_stores(
    url: str,
    *,
    prefix: str = "lg",
    clock: Clock = time.time,
    max_connections: int = 32,
    timeout: float = 2.0,
    ttl_margin: float = 5.0,
    audit_max: int = AUDIT_MAX,
) -> Stores:
    """The Redis engine on one server or a cluster (``redis+cluster://``)."""
    import math

    from server.sessions.keys import Keys
    from server.sessions.redis import RedisSessions
    from server.sessions.redis_accounts import RedisAccounts, RedisAttempts
    from server.sessions.redis_audit import RedisAudit, Streams
    from server.sessions.redis_conn import Link
    from server.sessions.redis_events import RedisEvents
    from server.sessions.redis_shards import ShardedEvents
    from server.sessions.redis_takeovers import RedisTakeovers

    keys = Keys(prefix)
    link = Link(url, max_connections=max_connections, timeout=timeout)
    streams = Streams(keys, cluster=link.cluster, audit_max=audit_max)
    attempts = RedisAttempts(link, keys, clock, math.ceil(ttl_margin * 1000), streams)
    sessions = RedisSessions(link, keys, attempts, streams, clock=clock, ttl_margin=ttl_margin)
    events: EventBus = (
        ShardedEvents(link, keys) if link.cluster else RedisEvents(link, keys.channel)
    )
    takeovers = RedisTakeovers(link, keys, streams, clock)
    audit = RedisAudit(link, keys, streams)
    accounts = RedisAccounts(link, keys)
    return Stores(sessions, events, accounts, attempts, takeovers, audit, [link.close])


def open_stores(redis_url: str | None, prefix: str, *, audit_max: int = AUDIT_MAX) -> Stores:
    """Redis when a URL is configured, else the embedded memory engine."""
    if redis_url:
        return redis_stores(redis_url, prefix=prefix, audit_max=audit_max)
    return memory_stores(audit_max=audit_max)
