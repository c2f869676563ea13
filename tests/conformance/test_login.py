"""Logins under each policy: who is admitted, who is displaced, what is left behind."""

from __future__ import annotations

import asyncio

from server.sessions.base import SessionStore
from server.sessions.policy import Policy
from server.sessions.records import Tombstone
from shared.messages import By
from shared.reasons import EndReason
from tests.conformance.helpers import FakeClock, Login


async def test_first_login_is_admitted(store: SessionStore, login: Login) -> None:
    """A login on an account with no sessions is admitted and checks as live."""
    out = await login("a")
    assert out.admitted is not None
    assert out.admitted.jti == "a"
    assert (out.ended, out.conflicts) == ((), ())
    assert await store.check("alice", "a") == out.admitted
    assert await store.sessions_of("alice") == [out.admitted]


async def test_displace_tombstones_the_old_session_naming_the_new_device(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """A second login displaces the first, whose tombstone names the new device, IP and time."""
    first = (await login("a")).admitted
    clock.advance(10)
    out = await login("b", ip="10.0.0.2")
    assert out.admitted is not None
    assert out.ended == (first,)
    by = By(device_name="PC b", ip="10.0.0.2", at=clock.now)
    assert await store.check("alice", "a") == Tombstone("a", EndReason.DISPLACED, by)
    assert await store.check("alice", "b") == out.admitted
    assert await store.sessions_of("alice") == [out.admitted]


async def test_reject_refuses_and_changes_nothing(store: SessionStore, login: Login) -> None:
    """Under reject, a login at the limit is refused with the conflicts and changes nothing."""
    first = (await login("a")).admitted
    before = await store.footprint("alice")
    out = await login("b", policy=Policy.REJECT)
    assert out.admitted is None
    assert (out.ended, out.conflicts) == ((), (first,))
    assert await store.check("alice", "a") == first
    assert await store.check("alice", "b") is None
    assert await store.footprint("alice") == before


async def test_confirm_without_takeover_refuses(store: SessionStore, login: Login) -> None:
    """Under confirm, a login without takeover is refused and the old session stays."""
    first = (await login("a")).admitted
    out = await login("b", policy=Policy.CONFIRM)
    assert out.admitted is None
    assert (out.ended, out.conflicts) == ((), (first,))
    assert await store.sessions_of("alice") == [first]


async def test_confirm_with_takeover_displaces(store: SessionStore, login: Login) -> None:
    """Under confirm, a login with takeover displaces the old session."""
    first = (await login("a")).admitted
    out = await login("b", policy=Policy.CONFIRM, takeover=True)
    assert out.admitted is not None
    assert out.ended == (first,)
    status = await store.check("alice", "a")
    assert isinstance(status, Tombstone)
    assert status.reason is EndReason.DISPLACED


async def test_max_two_sessions_evicts_the_oldest(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """With max_sessions=2 two sessions live side by side and a third evicts the oldest."""
    a = (await login("a", max_sessions=2)).admitted
    clock.advance(1)
    b = (await login("b", max_sessions=2)).admitted
    assert await store.sessions_of("alice") == [a, b]
    clock.advance(1)
    out = await login("c", max_sessions=2)
    assert out.ended == (a,)
    assert await store.sessions_of("alice") == [b, out.admitted]


async def test_equal_creation_times_evict_the_smaller_jti_first(
    store: SessionStore, login: Login
) -> None:
    """Sessions created at the same instant are evicted in JTI order, not admission order."""
    b = (await login("b", max_sessions=2)).admitted
    a = (await login("a", max_sessions=2)).admitted
    out = await login("c", max_sessions=2)
    assert out.ended == (a,)
    assert await store.sessions_of("alice") == [b, out.admitted]


async def test_same_device_relogin_replaces_even_under_reject(
    store: SessionStore, login: Login
) -> None:
    """A login from the device that holds the session replaces it and is never a conflict."""
    first = (await login("a", "pc-1", policy=Policy.REJECT)).admitted
    out = await login("b", "pc-1", policy=Policy.REJECT)
    assert out.admitted is not None
    assert (out.ended, out.conflicts) == ((first,), ())
    assert await store.sessions_of("alice") == [out.admitted]


async def test_expired_sessions_neither_conflict_nor_count_as_displaced(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """A session past its idle deadline is no conflict at the next login: it reads as expired."""
    await login("a", idle_ttl=60)
    clock.advance(61)
    out = await login("b", policy=Policy.REJECT)
    assert out.admitted is not None
    assert (out.ended, out.conflicts) == ((), ())
    assert await store.check("alice", "a") == Tombstone("a", EndReason.EXPIRED, None)


async def test_accounts_do_not_share_sessions(store: SessionStore, login: Login) -> None:
    """One account's login never displaces another account's session."""
    a = (await login("a", user="alice")).admitted
    out = await login("b", user="bob")
    assert out.ended == ()
    assert await store.check("alice", "a") == a


async def test_fifty_concurrent_logins_leave_exactly_one_session(
    store: SessionStore, login: Login
) -> None:
    """Of 50 simultaneous logins one session survives; every other one was displaced."""
    jtis = {f"j{i:02}" for i in range(50)}
    outs = await asyncio.gather(*(login(jti) for jti in sorted(jtis)))
    live = await store.sessions_of("alice")
    assert len(live) == 1
    ended = [rec.jti for out in outs for rec in out.ended]
    assert sorted(ended) == sorted(jtis - {live[0].jti})  # each displaced exactly once
    statuses = await store.check_many([("alice", jti) for jti in ended])
    assert all(isinstance(s, Tombstone) and s.reason is EndReason.DISPLACED for s in statuses)
