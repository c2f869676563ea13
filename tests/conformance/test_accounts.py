"""Accounts and rate-limit counters."""

from __future__ import annotations

import pytest

from server.sessions.base import SessionStore, User
from tests.conformance.helpers import FakeClock


async def test_users_put_get_list(store: SessionStore) -> None:
    """Accounts are created, replaced, fetched and listed by username."""
    bob = User("bob", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA")
    alice = User("alice", "$argon2id$hash-a", role="admin", disabled=True)
    await store.put_user(bob)
    await store.put_user(alice)
    assert await store.get_user("alice") == alice
    assert await store.get_user("carol") is None
    assert await store.list_users() == [alice, bob]
    renewed = User("bob", "$argon2id$hash-b", role="user", disabled=False)
    await store.put_user(renewed)
    assert await store.get_user("bob") == renewed
    assert await store.list_users() == [alice, renewed]


async def test_accounts_are_not_session_data(store: SessionStore) -> None:
    """An account alone leaves the user's session footprint at zero."""
    await store.put_user(User("alice", "$argon2id$h"))
    assert await store.footprint("alice") == 0


async def test_hits_count_within_a_fixed_window(store: SessionStore, clock: FakeClock) -> None:
    """Hits count up within the window that the first hit opened, then start over."""
    assert await store.peek("login:alice") == (0, 0.0)
    assert [await store.hit("login:alice", 60) for _ in range(3)] == [1, 2, 3]
    clock.advance(30)
    assert await store.hit("login:alice", 60) == 4  # the window does not slide
    count, left = await store.peek("login:alice")
    assert count == 4
    assert left == pytest.approx(30)
    assert await store.peek("ip:10.0.0.1") == (0, 0.0)
    clock.advance(31)
    assert await store.peek("login:alice") == (0, 0.0)
    assert await store.hit("login:alice", 60) == 1


async def test_clear_forgets_a_count(store: SessionStore) -> None:
    """clear resets one key and no other."""
    await store.hit("a", 60)
    await store.hit("b", 60)
    await store.clear("a")
    assert await store.peek("a") == (0, 0.0)
    assert (await store.peek("b"))[0] == 1
    assert await store.hit("a", 60) == 1


async def test_ping_answers(store: SessionStore) -> None:
    """A reachable store answers ping."""
    await store.ping()
