"""The EventBus contract: the workers holding a user's sockets hear that a session of
the user ended (or that the account became contested: :class:`~.records.ContestEvent`).

Engines: :class:`~.memory.MemoryEvents` (in-process), :class:`~.redis_events.RedisEvents`
(one Redis server: one broadcast channel, every worker hears every event) and
:class:`~.redis_shards.ShardedEvents` (Redis Cluster: each user's own sharded channel,
heard only by the workers that follow the user). Publishing is not part of this
contract: the session store publishes inside the same atomic step that ends a
session, so an event can never be missed by the step nor invented without it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from server.sessions.records import StoreEvent

EventHandler = Callable[[StoreEvent], None]
#: Re-check what may have been missed: the sockets of these users, or every socket (None).
Resync = Callable[[frozenset[str] | None], Awaitable[None]]


class EventBus(ABC):
    @abstractmethod
    async def listen(self, handler: EventHandler, resync: Resync) -> None:
        """Deliver the events of every followed user (a broadcast bus: of every user) to
        ``handler`` until cancelled.

        At most one subscription per shard per process, however many sockets it
        serves. Delivery is at-most-once: when a subscription is lost and regained,
        ``resync`` is awaited with the users it covered (None: all) so the caller can
        re-check what it might have missed - beside delivery, which goes on meanwhile;
        a resync raising StoreUnavailable is awaited again later, and the
        subscription stays. Survives the store, or a shard of it, going away and
        coming back.
        """

    def follow(self, user: str) -> None:  # noqa: B027 - a broadcast bus hears everyone anyway
        """Something in this process needs ``user``'s events now (a socket of the user, a
        login waiting for the user's answer): deliver them (from :meth:`heard` on).
        Counted: they may stop after as many :meth:`unfollow` calls. Cheap (batched)."""

    def unfollow(self, user: str) -> None:  # noqa: B027
        """One need of ``user``'s events is gone; with the last, its events may stop."""

    async def heard(self, user: str, within: float) -> bool:
        """Wait (up to ``within`` seconds) until ``user``'s events are delivered here;
        whether they are. A broadcast bus answers True at once: a subscription it lost
        is followed by ``resync(None)``."""
        return True

    def mark(self, user: str) -> int | None:
        """A number that stays the same for as long as ``user``'s events have been
        delivered here without a gap; None while they are not delivered. A broadcast
        bus answers 0 (its gaps end in ``resync(None)``)."""
        return 0
