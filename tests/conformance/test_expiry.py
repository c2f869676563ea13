"""Idle expiry, touching, absolute lifetime and tombstone lifetime, on the fake clock."""

from __future__ import annotations

from server.sessions.base import SessionStore
from server.sessions.records import SessionRecord, Tombstone
from shared.reasons import EndReason
from tests.conformance.helpers import FakeClock, Login


async def test_idle_expiry_leaves_an_expired_tombstone_until_the_token_ends(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """A session idle past its deadline checks as ``expired`` until its token's end, then None."""
    await login("a", idle_ttl=60, lifetime=600)
    clock.advance(59)
    assert isinstance(await store.check("alice", "a"), SessionRecord)
    clock.advance(2)
    assert await store.check("alice", "a") == Tombstone("a", EndReason.EXPIRED, None)
    assert await store.sessions_of("alice") == []
    clock.advance(540)
    assert await store.check("alice", "a") is None
    await store.purge_expired()
    assert await store.footprint("alice") == 0


async def test_purge_removes_expired_sessions_nobody_checked(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """purge_expired turns idle sessions into tombstones and drops them after the token's end."""
    await login("a", idle_ttl=60, lifetime=600)
    assert await store.footprint("alice") > 0
    clock.advance(61)
    assert await store.purge_expired() == 1
    assert await store.sessions_of("alice") == []
    clock.advance(540)
    await store.purge_expired()
    assert await store.footprint("alice") == 0


async def test_touch_extends_the_idle_deadline(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """A check with touch_ttl moves the idle deadline to now + touch_ttl."""
    await login("a", idle_ttl=60)
    clock.advance(50)
    assert await store.check("alice", "a", touch_ttl=60) is not None
    clock.advance(50)  # 100 s after login: past the first deadline, before the new one
    assert await store.check("alice", "a") is not None
    clock.advance(11)
    assert await store.check("alice", "a") == Tombstone("a", EndReason.EXPIRED, None)


async def test_touch_never_extends_past_expires_at(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """Touching caps the idle deadline at the session's absolute end of life."""
    await login("a", idle_ttl=60, lifetime=100)
    clock.advance(50)
    assert await store.check("alice", "a", touch_ttl=60) is not None  # capped at 100
    clock.advance(45)
    assert await store.check("alice", "a", touch_ttl=60) is not None
    clock.advance(6)
    assert await store.check("alice", "a", touch_ttl=60) is None
    assert await store.footprint("alice") == 0


async def test_absolute_lifetime_ends_a_busy_session(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """A session touched every 40 s still ends at its absolute lifetime."""
    await login("a", idle_ttl=60, lifetime=120)
    for _ in range(2):
        clock.advance(40)
        assert await store.check_many([("alice", "a")], touch_ttl=60) != [None]
    clock.advance(41)  # 121 s after login
    assert await store.check_many([("alice", "a")], touch_ttl=60) == [None]


async def test_tombstone_lasts_until_the_session_would_have_expired(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """A displaced session's tombstone answers until its expires_at, then nothing is left."""
    await login("a", lifetime=100)
    await login("b", lifetime=100)
    clock.advance(99)
    assert isinstance(await store.check("alice", "a"), Tombstone)
    clock.advance(2)
    assert await store.check("alice", "a") is None
    await store.purge_expired()
    assert await store.footprint("alice") == 0


async def test_check_many_answers_in_order(store: SessionStore, login: Login) -> None:
    """check_many returns one status per pair, in the order asked: live, ended or None."""
    a = (await login("a", max_sessions=2)).admitted
    await login("b", max_sessions=2)
    await store.end("alice", "b", EndReason.LOGGED_OUT)
    refs = [("alice", "b"), ("alice", "zz"), ("alice", "a"), ("bob", "a"), ("alice", "a")]
    assert await store.check_many(refs) == [
        Tombstone("b", EndReason.LOGGED_OUT, None),
        None,
        a,
        None,
        a,
    ]
    assert await store.check_many([]) == []


async def test_check_many_touches_every_live_session(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """check_many with touch_ttl extends each live session it finds."""
    await login("a", user="alice", idle_ttl=60)
    await login("b", user="bob", idle_ttl=60)
    clock.advance(50)
    await store.check_many([("alice", "a"), ("bob", "b")], touch_ttl=60)
    clock.advance(50)
    statuses = await store.check_many([("alice", "a"), ("bob", "b")])
    assert [s is not None for s in statuses] == [True, True]
