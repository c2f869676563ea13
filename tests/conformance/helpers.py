"""A fake clock, a login shortcut and an event listener for the store suites."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Protocol

from server.sessions.factory import Stores
from server.sessions.policy import Policy, SessionLimits
from server.sessions.records import LoginOutcome, SessionRecord, StoreEvent
from shared.reasons import EndReason

IDLE = 1800.0  # default idle TTL of a test login, seconds
LIFETIME = 43200.0  # default absolute lifetime of a test login, seconds
START = 1_700_000_000.0
EVENT_TIMEOUT = 5.0

_probes = itertools.count()


class FakeClock:
    """The stores' clock: time moves only when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Login(Protocol):
    async def __call__(
        self,
        jti: str,
        device_id: str | None = None,
        *,
        user: str = "alice",
        policy: Policy = Policy.DISPLACE,
        max_sessions: SessionLimits | int = 1,
        takeover: bool = False,
        idle_ttl: float = IDLE,
        lifetime: float = LIFETIME,
        ip: str = "10.0.0.1",
        presence_grace: float | None = None,
        device_class: str = "desktop",
    ) -> LoginOutcome: ...


PROBE_USER = "listener-probe"


class Listener:
    """Collects what ``stores.events.listen`` delivers for the users it follows (and its
    probe user); counts resyncs and keeps the users each was for."""

    def __init__(self, stores: Stores, users: tuple[str, ...] = ("alice", "bob")) -> None:
        self.stores = stores
        self.store = stores.sessions
        self.events: asyncio.Queue[StoreEvent] = asyncio.Queue()
        self.resyncs = 0
        self.resynced_users: list[frozenset[str] | None] = []
        self.resynced = asyncio.Event()
        self.users = (*users, PROBE_USER)
        for user in self.users:
            stores.events.follow(user)

    def handle(self, event: StoreEvent) -> None:
        self.events.put_nowait(event)

    async def resync(self, users: frozenset[str] | None) -> None:
        self.resyncs += 1
        self.resynced_users.append(users)
        self.resynced.set()

    async def next(self, within: float = EVENT_TIMEOUT) -> StoreEvent:
        return await asyncio.wait_for(self.events.get(), within)

    async def _probe(self) -> str:
        """Publish one event of a user of the listener's own; return its jti."""
        jti = f"probe-{next(_probes)}"
        now = self.store.clock()
        record = SessionRecord(PROBE_USER, jti, jti, "probe", "127.0.0.1", now, now + 60)
        await self.store.login(
            record, policy=Policy.DISPLACE, max_sessions=1, takeover=False, idle_ttl=60
        )
        await self.store.end(PROBE_USER, jti, EndReason.LOGGED_OUT)
        return jti

    async def ready(self, within: float = EVENT_TIMEOUT) -> None:
        """Return once events flow, with nothing queued.

        Once every followed user is heard (:meth:`EventBus.heard`; at once on a
        broadcast bus, which has no such signal), probe until one event arrives, then
        drain up to a last probe's event.
        """
        async with asyncio.timeout(within):
            for user in self.users:
                while not await self.stores.events.heard(user, within):
                    pass
            while True:
                await self._probe()
                with contextlib.suppress(TimeoutError):
                    await self.next(within=0.05)
                    break
            last = await self._probe()
            while getattr(await self.next(), "jti", None) != last:
                pass


@contextlib.asynccontextmanager
async def listening(stores: Stores, *users: str) -> AsyncIterator[Listener]:
    """``stores.events.listen`` running in a task, ready to deliver the events of ``users``
    (default alice and bob); cancelled afterwards."""
    listener = Listener(stores, users or ("alice", "bob"))
    task = asyncio.create_task(stores.events.listen(listener.handle, listener.resync))
    try:
        await listener.ready()
        yield listener
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
