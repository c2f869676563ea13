"""The audit on every engine: each session event written once, by the step that made it."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.sessions.attempts import Limits
from server.sessions.audit import AuditEntry, ending_event
from server.sessions.contest import ContestRule
from server.sessions.factory import Stores, memory_stores, redis_stores
from server.sessions.policy import Policy
from server.sessions.records import Account, SessionRecord
from server.sessions.takeovers import ASK_LIMIT, AskLimited, TakeoverRequest
from shared.messages import By
from shared.reasons import EndReason
from tests.conformance.helpers import LIFETIME, START, FakeClock, Login
from tests.support.redis_cluster import RedisCluster
from tests.support.server import REDIS_TEST_URL

LIMITS = Limits(per_account=2, per_device=2, per_ip=2, window=60)


async def entries(
    stores: Stores, user: str | None = "alice", page_size: int = 7
) -> list[AuditEntry]:
    """Every entry (of ``user``), oldest first, read page by page from the start."""
    out: list[AuditEntry] = []
    since: str | None = "0"
    while since is not None:
        page = await stores.audit.read(user, since, page_size)
        out += page.entries
        since = page.next
    return out


def kinds(found: list[AuditEntry]) -> list[tuple[str, str]]:
    return [(e.event, str(e.fields.get("reason", ""))) for e in found]


async def test_a_displacing_login_audits_the_admission_and_the_displacement(
    stores: Stores, login: Login
) -> None:
    """Login a, then b: a is admitted; b is admitted and a displaced, naming b's device."""
    await login("a")
    await login("b", ip="10.0.0.2")
    found = await entries(stores)
    assert kinds(found) == [("login_admitted", ""), ("login_admitted", ""), ("displaced", "")]
    admitted_b, displaced_a = found[1], found[2]
    assert admitted_b.fields["jti"] == "b"
    assert admitted_b.fields["device"] == "PC b"
    assert admitted_b.fields["ip"] == "10.0.0.2"
    assert displaced_a.fields["jti"] == "a"
    assert displaced_a.fields["device"] == "PC a"
    assert displaced_a.fields["by"]["device_name"] == "PC b"
    assert displaced_a.fields["by"]["ip"] == "10.0.0.2"
    assert displaced_a.user == "alice"
    assert admitted_b.fields["class"] == displaced_a.fields["class"] == "desktop"
    assert isinstance(displaced_a.at, float)


async def test_a_refused_login_writes_no_session_but_one_entry(
    stores: Stores, login: Login
) -> None:
    """Under reject a second PC is refused: no session of it, one login_refused entry."""
    await login("a", policy=Policy.REJECT)
    refused = await login("b", policy=Policy.REJECT)
    assert refused.admitted is None
    assert await stores.sessions.check("alice", "b") is None
    found = await entries(stores)
    assert kinds(found) == [("login_admitted", ""), ("login_refused", "session_active")]
    assert "jti" not in found[1].fields
    assert found[1].fields["device"] == "PC b"


async def test_every_way_a_session_ends_is_audited_once(stores: Stores, login: Login) -> None:
    """Logout, ended by another PC, admin, disabled: each one entry, ending again none."""
    store = stores.sessions
    for jti in ("a", "b", "c", "d", "e"):
        await login(jti, user=f"u-{jti}")
    by = By(device_name="PC z", ip="10.0.0.9", at=1.5)
    await store.end("u-a", "a", EndReason.LOGGED_OUT)
    await store.end("u-b", "b", EndReason.LOGGED_OUT, by)
    await store.end_all("u-c", EndReason.ADMIN)
    await store.end_all("u-d", EndReason.DISABLED)
    for user, jti in (("u-a", "a"), ("u-b", "b"), ("u-c", "c"), ("u-d", "d")):
        await store.end(user, jti, EndReason.ADMIN)  # already ended: nothing new
    ends = {u: kinds(await entries(stores, u))[1:] for u in ("u-a", "u-b", "u-c", "u-d", "u-e")}
    assert ends == {
        "u-a": [("logged_out", "")],
        "u-b": [("ended", "user")],
        "u-c": [("ended", "admin")],
        "u-d": [("ended", "disabled")],
        "u-e": [],
    }
    assert (await entries(stores, "u-b"))[1].fields["by"] == dict(by)


async def test_an_idle_session_is_audited_expired_once(
    stores: Stores, login: Login, clock: FakeClock
) -> None:
    """A session past its idle deadline becomes one ``expired`` entry, however often seen."""
    await login("a", idle_ttl=60)
    clock.advance(61)
    await stores.sessions.check("alice", "a")
    await stores.sessions.check("alice", "a")
    await stores.sessions.sessions_of("alice")
    assert kinds(await entries(stores)) == [("login_admitted", ""), ("expired", "")]


async def test_contested_and_uncontested_are_audited(stores: Stores, clock: FakeClock) -> None:
    """The guard's refusals are login_refused (contested); the one that began the cool-down
    also writes ``contested``; clearing it writes ``uncontested`` naming the admin."""
    rule = ContestRule(limit=2, window=300.0, cooldown=60.0, max_cooldown=600.0)
    for i in range(5):
        device = "pc-a" if i in (0, 2) else "pc-b"  # pc-b is refused twice at the end
        now = clock()
        record = SessionRecord("alice", f"j{i}", device, device, "10.0.0.1", now, now + 3600)
        await stores.sessions.login(
            record,
            policy=Policy.DISPLACE,
            max_sessions=1,
            takeover=False,
            idle_ttl=600,
            contest=rule,
        )
    assert await stores.sessions.uncontest("alice", by_admin="root")
    assert not await stores.sessions.uncontest("alice", by_admin="root")
    found = kinds(await entries(stores))
    assert found == [
        ("login_admitted", ""),
        ("login_admitted", ""),
        ("displaced", ""),
        ("login_admitted", ""),
        ("displaced", ""),
        ("login_refused", "contested"),
        ("contested", ""),
        ("login_refused", "contested"),
        ("uncontested", ""),
    ]
    contested = (await entries(stores))[6]
    assert contested.fields["displacements"] == 3
    assert contested.fields["retry_after"] == pytest.approx(60.0)
    assert (await entries(stores))[-1].fields["admin"] == "root"


async def test_failures_limits_and_disabled_accounts_are_audited(
    stores: Stores,
) -> None:
    """A wrong password, an unknown user, a full bucket, a full address and a disabled
    account each write one entry with its reason, and nothing but the known fields."""
    await stores.accounts.put(Account("alice", "$argon2id$h"))
    attempts = stores.attempts
    first = await attempts.reserve("alice", "d1", "10.0.0.1", LIMITS, "PC 1")
    assert first.reservation is not None
    await attempts.failed(first.reservation)
    ghost = await attempts.reserve("ghost", "d1", "10.0.0.1", LIMITS, "PC 1")
    assert ghost.reservation is not None
    await attempts.failed(ghost.reservation, reason="unknown_user")
    second = await attempts.reserve("alice", "d2", "10.0.0.2", LIMITS, "PC 2")
    assert second.reservation is not None
    await attempts.release(second.reservation)  # a right password on a disabled account
    await attempts.reserve("alice", "d3", "10.0.0.2", LIMITS, "PC 3")  # fills alice's bucket
    limited = await attempts.reserve("alice", "d4", "10.0.0.4", LIMITS, "PC 4")
    assert limited.reservation is None
    by_ip = await attempts.reserve("bob", "d5", "10.0.0.1", LIMITS, "PC 5")  # 3rd from .1
    assert by_ip.reservation is None
    assert kinds(await entries(stores, "alice")) == [
        ("login_failed", "bad_password"),
        ("login_refused", "disabled"),
        ("login_limited", "account"),
    ]
    assert kinds(await entries(stores, "ghost")) == [("login_failed", "unknown_user")]
    assert kinds(await entries(stores, "bob")) == [("login_limited", "ip")]
    limited_entry = (await entries(stores, "alice"))[-1]
    assert limited_entry.fields["device"] == "PC 4"
    assert limited_entry.fields["ip"] == "10.0.0.4"
    assert limited_entry.fields["retry_after"] > 0
    every = [e.public() for u in ("alice", "ghost", "bob") for e in await entries(stores, u)]
    allowed = {"id", "at", "event", "user", "device", "ip", "reason", "retry_after"}
    assert all(set(entry) <= allowed for entry in every)


async def test_the_latest_entries_come_last_and_pages_resume_at_their_cursor(
    stores: Stores, login: Login
) -> None:
    """No ``since``: the latest ``count``; a cursor resumes right after its entry."""
    for i in range(6):
        await login(f"j{i}", f"d{i}", max_sessions=10)
    latest = await stores.audit.read("alice", None, 2)
    assert [e.fields["jti"] for e in latest.entries] == ["j4", "j5"]
    assert latest.next is None
    first = await stores.audit.read("alice", "0", 4)
    assert [e.fields["jti"] for e in first.entries] == ["j0", "j1", "j2", "j3"]
    assert first.next is not None
    rest = await stores.audit.read("alice", first.next, 4)
    assert [e.fields["jti"] for e in rest.entries] == ["j4", "j5"]
    assert rest.next is None
    after = await stores.audit.read("alice", rest.entries[-1].id, 4)
    assert after.entries == []


async def test_a_user_filter_keeps_other_accounts_out(stores: Stores, login: Login) -> None:
    """Entries of other accounts never show in one account's read."""
    await login("a", user="alice")
    await login("b", user="bob")
    await login("c", user="alice", max_sessions=2)
    assert [e.fields["jti"] for e in await entries(stores, "alice")] == ["a", "c"]
    assert [e.fields["jti"] for e in await entries(stores, "bob")] == ["b"]


async def test_a_time_since_starts_at_that_time(
    stores: Stores, login: Login, clock: FakeClock
) -> None:
    """``since`` as a time returns the entries written at or after it."""
    await login("a", max_sessions=5)
    clock.advance(10)
    cut = clock()
    await login("b", max_sessions=5)
    page = await stores.audit.read("alice", cut, 10)
    assert [e.fields["jti"] for e in page.entries] == ["b"]


async def test_a_malformed_cursor_is_a_value_error(stores: Stores) -> None:
    """A cursor no engine issues raises ValueError, before any store call."""
    for bad in ("x", "1-2-3-4", "-1", "99999999999999999999999-0", "1-0-16384"):
        with pytest.raises(ValueError, match="bad audit cursor"):
            await stores.audit.read(None, bad, 10)


async def test_follow_sees_a_new_entry_and_ends_when_told(stores: Stores, login: Login) -> None:
    """A follower started now hears a login made after it started, and returns soon
    after its stop event is set."""
    await login("a")
    seen: asyncio.Queue[AuditEntry] = asyncio.Queue()
    stop = asyncio.Event()

    async def follow() -> None:
        async for entry in stores.audit.follow("alice", None, poll=0.05, stop=stop):
            seen.put_nowait(entry)

    task = asyncio.create_task(follow())
    try:
        await asyncio.sleep(0.3)
        assert seen.empty()
        await login("b", max_sessions=2)
        entry = await asyncio.wait_for(seen.get(), 5)
        assert (entry.event, entry.fields["jti"]) == ("login_admitted", "b")
        stop.set()
        await asyncio.wait_for(asyncio.shield(task), 3)  # the blocking read ends within 1 s
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_parallel_logins_audit_exactly_what_happened(roomy: Stores, clock: FakeClock) -> None:
    """200 logins of one account at once: one login_admitted per admission and one
    displaced per displacement, no more, no fewer."""
    now = clock()
    records = [
        SessionRecord("alice", f"p{i}", f"dev{i}", f"PC {i}", "10.0.0.1", now, now + LIFETIME)
        for i in range(200)
    ]
    outcomes = await asyncio.gather(
        *(
            roomy.sessions.login(
                r, policy=Policy.DISPLACE, max_sessions=3, takeover=False, idle_ttl=600
            )
            for r in records
        )
    )
    admitted = sum(o.admitted is not None for o in outcomes)
    displaced = sum(len(o.ended) for o in outcomes)
    found = Counter(e.event for e in await entries(roomy))
    assert found == {"login_admitted": admitted, "displaced": displaced}
    assert (admitted, displaced) == (200, 197)


ENGINES = [
    "memory",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("redis-cluster", marks=pytest.mark.redis),
]


def _open(request: pytest.FixtureRequest, clock: FakeClock, audit_max: int) -> Stores:
    """The engine of ``request.param`` with an audit of ``audit_max`` entries."""
    if request.param == "memory":
        return memory_stores(clock, audit_max=audit_max)
    if request.param == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        return redis_stores(REDIS_TEST_URL, prefix=prefix, clock=clock, audit_max=audit_max)
    cluster: RedisCluster = request.getfixturevalue("redis_cluster")
    prefix = request.getfixturevalue("cluster_prefix")
    return redis_stores(cluster.url, prefix=prefix, clock=clock, audit_max=audit_max)


@pytest.fixture(params=ENGINES)
async def small(
    request: pytest.FixtureRequest, clock: FakeClock
) -> AsyncIterator[tuple[Stores, str]]:
    """Each engine with ``--audit-max 10``, and its id."""
    engine = _open(request, clock, 10)
    yield engine, request.param
    await engine.close()


@pytest.fixture(params=ENGINES)
async def roomy(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Stores]:
    """Each engine with an audit that trims nothing here, not even one cluster slot's."""
    engine = _open(request, clock, 16384 * 1000)
    yield engine
    await engine.close()


async def test_the_audit_is_bounded(small: tuple[Stores, str], clock: FakeClock) -> None:
    """600 entries into an audit of 10 keep the newest: exactly 10 in memory; on Redis
    ``MAXLEN ~`` trims whole stream nodes (at most 100 entries each), so at most 10 +
    100; on a cluster each slot's stream keeps at least 100, so at most 100 + 100."""
    stores, engine = small
    for i in range(300):
        now = clock()
        record = SessionRecord("alice", f"j{i}", "dev", "PC", "10.0.0.1", now, now + 60)
        await stores.sessions.login(
            record, policy=Policy.DISPLACE, max_sessions=1, takeover=False, idle_ttl=60
        )
    kept = await entries(stores)
    low, high = {"memory": (10, 10), "redis": (10, 110)}.get(engine, (100, 200))
    assert low <= len(kept) <= high
    assert kinds(kept[-2:]) == [("login_admitted", ""), ("displaced", "")]
    assert kept[-2].fields["jti"] == "j299"  # the newest stay


def test_endings_are_named_as_lib_lua_names_them() -> None:
    """Python's naming of an ending matches the Lua one for every reason."""
    by: Any = {"device_name": "x"}
    assert ending_event("logged_out", None)[0].value == "logged_out"
    assert ending_event("logged_out", by) == ("ended", "user")
    assert ending_event("admin", None) == ("ended", "admin")
    assert ending_event("disabled", None) == ("ended", "disabled")
    assert ending_event("displaced", by)[0].value == "displaced"
    assert ending_event("expired", None)[0].value == "expired"
    assert ending_event("server_reset", None)[0].value == "server_reset"


async def test_everyones_entries_read_in_pages_and_the_latest_last(
    stores: Stores, login: Login
) -> None:
    """Without a user filter, pages walk every account's entries once each (on a cluster,
    merged from their slots' streams), and the latest read ends with the newest."""
    users = ["alice", "bob", "carol", "dave"]
    for round_ in range(3):
        for user in users:
            await login(f"{user}-{round_}", user=user, max_sessions=5)
    walked = await entries(stores, None)
    assert sorted((e.user, e.fields["jti"]) for e in walked) == sorted(
        (u, f"{u}-{r}") for u in users for r in range(3)
    )
    assert len({e.id for e in walked}) == len(walked)
    assert await entries(stores, None, page_size=1) == walked
    latest = await stores.audit.read(None, None, 3)
    assert len(latest.entries) == 3
    assert latest.entries[-1].fields["jti"] in {f"{u}-2" for u in users}


async def test_takeover_requests_are_audited_at_each_change(stores: Stores) -> None:
    """Asking (policy ask) writes ``takeover`` pending; the first answer writes its state;
    answers after it change nothing and write nothing."""
    by = By(device_name="PC 2", ip="203.0.113.5", at=1.5)
    request = TakeoverRequest("alice", "r1", "pc-2", by, ("jti-1",), START + 20)
    assert await stores.takeovers.open(request) is None
    assert await stores.takeovers.answer("alice", "r1", "jti-1", False)
    await stores.takeovers.answer("alice", "r1", "jti-1", True)  # closed already
    found = await entries(stores)
    assert kinds(found) == [("takeover", "pending"), ("takeover", "denied")]
    assert all(e.fields["request"] == "r1" for e in found)
    assert found[0].fields["by"] == dict(by)


async def test_logins_refused_without_asking_are_audited(stores: Stores) -> None:
    """Policy ask: another PC asking already, a denial kept, and too many requests a minute
    each refuse a login without asking, and each writes one entry naming why."""
    by = By(device_name="PC 2", ip="203.0.113.5", at=1.5)
    takeovers = stores.takeovers
    assert (
        await takeovers.open(TakeoverRequest("alice", "r1", "pc-2", by, ("j",), START + 20)) is None
    )
    assert await takeovers.open(TakeoverRequest("alice", "r2", "pc-3", by, ("j",), START + 20))
    await takeovers.answer("alice", "r1", "j", False)
    assert await takeovers.open(TakeoverRequest("alice", "r3", "pc-3", by, ("j",), START + 20))
    for n in range(ASK_LIMIT):
        request = TakeoverRequest("bob", f"b{n}", "pc-2", by, ("j",), START + 20)
        assert await takeovers.open(request) is None
    limited = await takeovers.open(TakeoverRequest("bob", "bx", "pc-2", by, ("j",), START + 20))
    assert isinstance(limited, AskLimited)
    alice = [k for k in kinds(await entries(stores, "alice")) if k[0] != "takeover"]
    assert alice == [("login_refused", "takeover_pending"), ("login_refused", "takeover_denied")]
    bob = [k for k in kinds(await entries(stores, "bob")) if k[0] != "takeover"]
    assert bob == [("login_limited", "takeovers")]
