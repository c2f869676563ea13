"""Ending sessions (logout, admin, disable) and the events every ending publishes."""

from __future__ import annotations

import asyncio

import pytest

from server.sessions.base import SessionStore
from server.sessions.factory import Stores
from server.sessions.records import SessionEvent, Tombstone
from shared.messages import By
from shared.reasons import EndReason
from tests.conformance.helpers import FakeClock, Listener, Login, listening


async def test_end_tombstones_once(store: SessionStore, login: Login) -> None:
    """Ending a live session returns it and tombstones it; ending it again returns None."""
    a = (await login("a")).admitted
    assert await store.end("alice", "a", EndReason.LOGGED_OUT) == a
    assert await store.check("alice", "a") == Tombstone("a", EndReason.LOGGED_OUT, None)
    assert await store.end("alice", "a", EndReason.ADMIN) is None
    assert await store.check("alice", "a") == Tombstone("a", EndReason.LOGGED_OUT, None)


async def test_end_of_an_unknown_session_is_none(store: SessionStore) -> None:
    """Ending a session that never existed returns None and leaves nothing."""
    assert await store.end("alice", "nope", EndReason.LOGGED_OUT) is None
    assert await store.footprint("alice") == 0


async def test_end_keeps_who_ended_it(store: SessionStore, login: Login) -> None:
    """The ``by`` given to end is what the tombstone reports."""
    await login("a")
    by = By(device_name="admin console", ip="10.9.9.9", at=1.5)
    await store.end("alice", "a", EndReason.ADMIN, by)
    assert await store.check("alice", "a") == Tombstone("a", EndReason.ADMIN, by)


async def test_end_all_ends_every_session_once(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """end_all returns every live session oldest first and tombstones each; again it is empty."""
    a = (await login("a", max_sessions=2)).admitted
    clock.advance(1)
    b = (await login("b", max_sessions=2)).admitted
    await login("c", user="bob")
    assert await store.end_all("alice", EndReason.DISABLED) == [a, b]
    assert await store.check_many([("alice", "a"), ("alice", "b")]) == [
        Tombstone("a", EndReason.DISABLED, None),
        Tombstone("b", EndReason.DISABLED, None),
    ]
    assert await store.end_all("alice", EndReason.DISABLED) == []
    assert await store.sessions_of("bob") != []


async def test_events_reach_the_listener(
    stores: Stores, store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """Displacement, end and end_all each publish one event; a repeated end publishes none."""
    async with listening(stores) as listener:
        await login("a")
        clock.advance(5)
        await login("b", ip="10.0.0.2")
        by = By(device_name="PC b", ip="10.0.0.2", at=clock.now)
        assert await listener.next() == SessionEvent("alice", "a", EndReason.DISPLACED, by)

        await store.end("alice", "b", EndReason.LOGGED_OUT)
        assert await store.end("alice", "b", EndReason.LOGGED_OUT) is None
        await login("c", user="bob")
        await store.end_all("bob", EndReason.ADMIN)
        # No duplicate for "b" comes; the order holds per user (one channel each on a
        # cluster, whose shards may answer in any order).
        seen = {await listener.next(), await listener.next()}
        assert seen == {
            SessionEvent("alice", "b", EndReason.LOGGED_OUT, None),
            SessionEvent("bob", "c", EndReason.ADMIN, None),
        }


async def test_listen_stops_when_cancelled(stores: Stores) -> None:
    """A listen task ends promptly, as cancelled, when it is cancelled."""
    listener = Listener(stores)
    task = asyncio.create_task(stores.events.listen(listener.handle, listener.resync))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    assert task.cancelled()
