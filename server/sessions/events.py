"""The EventBus contract: every worker hears that a session ended (or an account
became contested: :class:`~.records.ContestEvent`).

Engines: :class:`~.memory.MemoryEvents` (in-process) and
:class:`~.redis_events.RedisEvents` (Redis pub/sub). Publishing is not part of
this contract: the session store publishes inside the same atomic step that ends
a session, so an event can never be missed by the step nor invented without it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from server.sessions.records import StoreEvent

EventHandler = Callable[[StoreEvent], None]
Resync = Callable[[], Awaitable[None]]


class EventBus(ABC):
    @abstractmethod
    async def listen(self, handler: EventHandler, resync: Resync) -> None:
        """Deliver every published event to ``handler`` until cancelled.

        One subscription per process, however many sockets it serves. Delivery is
        at-most-once: when the subscription is lost and regained, ``resync`` is
        awaited so the caller can re-check what it might have missed - beside
        delivery, which goes on meanwhile; a resync raising StoreUnavailable is
        awaited again later, and the subscription stays. Survives the store going
        away and coming back.
        """
