"""Presence under reject / confirm: a session whose PC is gone stops blocking after the grace.

A session is *present* while its PC holds a socket (the hub's checks pass
``present``) and at its login; once it has not been seen for ``presence_grace``
seconds, a login that would otherwise be refused evicts it (``displaced``).
"""

from __future__ import annotations

from server.sessions.base import SessionStore
from server.sessions.policy import Policy
from shared.reasons import EndReason
from tests.conformance.helpers import FakeClock, Login

GRACE = 90.0


async def test_an_absent_session_no_longer_blocks(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    await login("a")
    clock.advance(GRACE + 1)  # nobody saw it since its login
    out = await login("b", policy=Policy.REJECT, presence_grace=GRACE)
    assert out.admitted is not None
    assert [r.jti for r in out.ended] == ["a"]
    tomb = await store.check("alice", "a")
    assert getattr(tomb, "reason", None) is EndReason.DISPLACED


async def test_a_present_session_still_blocks(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    await login("a")
    clock.advance(GRACE - 10)
    await store.check_many([("alice", "a")], touch_ttl=1800, present=True)  # its socket is there
    clock.advance(20)  # 110 s after login, 20 s after it was last seen
    for policy in (Policy.REJECT, Policy.CONFIRM):
        out = await login("b", policy=policy, presence_grace=GRACE)
        assert out.admitted is None
        assert [r.jti for r in out.conflicts] == ["a"]
    assert (await store.check("alice", "a")) is not None  # untouched


async def test_a_fresh_login_counts_as_present(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    await login("a")
    clock.advance(GRACE - 1)
    out = await login("b", policy=Policy.REJECT, presence_grace=GRACE)
    assert out.admitted is None


async def test_without_a_grace_every_session_blocks(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    await login("a")
    clock.advance(GRACE * 10)
    out = await login("b", policy=Policy.REJECT)
    assert out.admitted is None


async def test_only_absent_sessions_make_room(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """Two of three slots held; the absent one is evicted, the present one stays."""
    await login("old", max_sessions=2)
    clock.advance(10)
    await login("live", max_sessions=2)
    clock.advance(GRACE)
    await store.check_many([("alice", "live")], present=True)
    clock.advance(5)
    out = await login("new", policy=Policy.REJECT, max_sessions=2, presence_grace=GRACE)
    assert out.admitted is not None
    assert [r.jti for r in out.ended] == ["old"]
    assert sorted(r.jti for r in await store.sessions_of("alice")) == ["live", "new"]
