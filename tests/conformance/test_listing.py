"""Listing sessions: one account's, and every account's page by page."""

from __future__ import annotations

import base64

import pytest

from server.sessions.base import SessionStore
from server.sessions.factory import Stores
from server.sessions.records import SessionEvent, SessionRecord
from shared.reasons import EndReason
from tests.conformance.helpers import LIFETIME, FakeClock, Login, listening


async def test_sessions_of_lists_live_sessions_oldest_first(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """sessions_of returns the live sessions ordered by creation time."""
    admitted = []
    for jti in ("c", "a", "b"):
        admitted.append((await login(jti, max_sessions=3)).admitted)
        clock.advance(1)
    assert await store.sessions_of("alice") == admitted
    assert await store.sessions_of("nobody") == []


async def test_scan_walks_every_live_session(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """Walking scan_sessions page by page to cursor "0" yields every live session."""
    expected: dict[tuple[str, str], SessionRecord | None] = {}
    for i in range(23):
        out = await login(f"j{i}", user=f"user{i:02}")
        expected[(f"user{i:02}", f"j{i}")] = out.admitted
    await login("old", user="zed")
    clock.advance(1)
    expected[("zed", "new")] = (await login("new", user="zed")).admitted  # "old" displaced
    await login("gone", user="idle", idle_ttl=1)
    clock.advance(2)  # "gone" idled out

    seen: dict[tuple[str, str], SessionRecord] = {}
    cursor, pages = "0", 0
    while True:
        page, cursor = await store.scan_sessions(cursor, 5)
        seen.update({(rec.user, rec.jti): rec for rec in page})
        pages += 1
        assert pages < 10_000, "the cursor never came back to 0"
        if cursor == "0":
            break
    assert seen == expected


_DEEP = base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).decode()


@pytest.mark.parametrize(
    "cursor",
    ["not-a-cursor!", "0:" + "9" * 40, "0:18446744073709551616", _DEEP, "YWI=", "e30=", "\ud800"],
)
async def test_scan_refuses_a_malformed_cursor(store: SessionStore, cursor: str) -> None:
    """A cursor the store never issued, however deep, long or odd, is a ValueError."""
    with pytest.raises(ValueError, match="cursor"):
        await store.scan_sessions(cursor, 10)


async def test_a_page_is_cached_for_five_seconds(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """The same page asked again within 5 s may be stale; after 5 s it is fresh."""
    first = (await login("a", user="alice")).admitted
    assert await store.scan_sessions("0", 1000) == ([first], "0")
    second = (await login("b", user="bob")).admitted
    clock.advance(4)
    assert await store.scan_sessions("0", 1000) == ([first], "0")
    clock.advance(2)
    page, cursor = await store.scan_sessions("0", 1000)
    assert (sorted(page, key=lambda r: r.user), cursor) == ([first, second], "0")


@pytest.mark.parametrize("user", ["we*ird?[x]\\{u", "김철수", "a b:c"])
async def test_unusual_usernames_work_everywhere(
    stores: Stores, store: SessionStore, login: Login, clock: FakeClock, user: str
) -> None:
    """Usernames with glob characters, braces or non-ASCII text are listed, counted and ended."""
    await login("x", user="we")  # a neighbour whose name is a prefix of the first one
    first = (await login("a", user=user)).admitted
    out = await login("b", user=user)
    assert out.ended == (first,)
    assert await store.sessions_of(user) == [out.admitted]
    page, cursor = await store.scan_sessions("0", 1000)
    assert cursor == "0"
    assert out.admitted in page
    assert await store.footprint(user) > 0
    async with listening(stores, user) as listener:
        await store.end(user, "b", EndReason.ADMIN)
        assert await listener.next() == SessionEvent(user, "b", EndReason.ADMIN, None)
    clock.advance(LIFETIME + 1)
    await store.purge_expired()
    assert await store.footprint(user) == 0
