"""What only the Redis engine promises: outages, key layout, round trips."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis
from redis._parsers import _AsyncHiredisParser

from server.sessions.attempts import Limits
from server.sessions.factory import Stores, redis_stores
from server.sessions.limits import parse_limits
from server.sessions.policy import Policy
from server.sessions.records import Account, SessionRecord, StoreUnavailable, Tombstone
from server.sessions.redis_conn import Link
from shared.messages import By
from shared.reasons import EndReason
from tests.conformance.helpers import FakeClock, listening
from tests.support.redis_proc import RedisProcess
from tests.support.server import REDIS_TEST_URL, free_port, timeout

pytestmark = pytest.mark.redis

FAIL_FAST = 3.0  # seconds within which a dead Redis must be reported
LIMITS = Limits(per_account=10, per_device=10, per_ip=50, window=60)


@pytest.fixture
async def private_redis() -> AsyncIterator[RedisProcess]:
    server = await asyncio.to_thread(RedisProcess().start)
    yield server
    await asyncio.to_thread(server.stop)


def _record(clock: FakeClock, jti: str, user: str = "alice") -> SessionRecord:
    return SessionRecord(user, jti, f"dev-{jti}", f"PC {jti}", "10.0.0.1", clock(), clock() + 3600)


async def _login(store: Stores, record: SessionRecord) -> None:
    await store.sessions.login(
        record, policy=Policy.DISPLACE, max_sessions=1, takeover=False, idle_ttl=60
    )


async def test_nothing_listening_fails_fast() -> None:
    """A store pointed at a port nobody listens on raises StoreUnavailable within seconds."""
    store = redis_stores(f"redis://127.0.0.1:{free_port()}/0", prefix="lgtest-dead")
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailable):
            await store.ping()
        with pytest.raises(StoreUnavailable):
            await store.sessions.check("alice", "a")
    finally:
        await store.close()
    assert time.monotonic() - started < FAIL_FAST


async def test_outage_fails_fast_and_recovers_without_restart(
    private_redis: RedisProcess, clock: FakeClock
) -> None:
    """While Redis is down every call is StoreUnavailable; once it is back the same store works."""
    store = redis_stores(private_redis.url, prefix="lg", clock=clock)
    try:
        await _login(store, _record(clock, "a"))
        await asyncio.to_thread(private_redis.stop)
        calls: list[Callable[[], Awaitable[object]]] = [
            store.ping,
            lambda: store.sessions.check("alice", "a"),
            lambda: store.sessions.check_many([("alice", "a")]),
            lambda: _login(store, _record(clock, "b")),
        ]
        for call in calls:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                await call()
            assert time.monotonic() - started < FAIL_FAST

        await asyncio.to_thread(private_redis.start)  # no cached scripts
        await store.ping()
        await _login(store, _record(clock, "c"))
        await _login(store, _record(clock, "d"))
        # check.lua is not loaded on the new server: the pipeline must recover.
        by = By(device_name="PC d", ip="10.0.0.1", at=clock())
        assert await store.sessions.check_many([("alice", "c"), ("alice", "d")]) == [
            Tombstone("c", EndReason.DISPLACED, by),
            _record(clock, "d"),
        ]
    finally:
        await store.close()


async def test_listen_resyncs_after_redis_comes_back(
    private_redis: RedisProcess, clock: FakeClock
) -> None:
    """The subscription survives a Redis restart, awaiting resync once it is back."""
    store = redis_stores(private_redis.url, prefix="lg", clock=clock)
    try:
        async with listening(store) as listener:
            assert listener.resyncs == 0
            await asyncio.to_thread(private_redis.stop)
            await asyncio.sleep(0.2)
            await asyncio.to_thread(private_redis.start)
            await asyncio.wait_for(listener.resynced.wait(), timeout(15))
            await listener.ready()  # events flow again
            await _login(store, _record(clock, "a"))
            await _login(store, _record(clock, "b"))
            event = await listener.next()
            assert (event.jti, event.reason) == ("a", EndReason.DISPLACED)
    finally:
        await store.close()


@pytest.fixture
async def admin() -> AsyncIterator[aioredis.Redis]:
    """A plain client on the test DB, to look at what the store wrote."""
    client = aioredis.Redis.from_url(REDIS_TEST_URL, decode_responses=True)
    yield client
    await client.aclose()


async def test_every_session_key_carries_the_user_hash_tag_and_a_ttl(
    redis_prefix: str, admin: aioredis.Redis, clock: FakeClock
) -> None:
    """All of a user's keys share {u:<user>}; all but the account and the epoch expire."""
    store = redis_stores(REDIS_TEST_URL, prefix=redis_prefix, clock=clock)
    try:
        await store.accounts.put(Account("alice", "$argon2id$h"))
        await _login(store, _record(clock, "a"))
        await _login(store, _record(clock, "b"))  # displaces "a"
        ticket = await store.attempts.reserve("alice", "dev-c", "10.0.0.1", LIMITS)
        assert ticket.reservation is not None
        await store.sessions.login(
            _record(clock, "c"),
            policy=Policy.DISPLACE,
            max_sessions=1,
            takeover=False,
            idle_ttl=60,
            settle=ticket.reservation,
        )
        keys = sorted([k async for k in admin.scan_iter(match=f"{redis_prefix}:*")])
        epoch = f"{redis_prefix}:{{epoch}}"
        ip_bucket = f"{redis_prefix}:rl:{{ip:10.0.0.1}}"
        user_keys = [k for k in keys if k not in (epoch, ip_bucket)]
        # index, session c, tombstones a and b, account, devices, the account's bucket
        assert len(user_keys) == 7, user_keys
        assert all(k.startswith(f"{redis_prefix}:{{u:alice}}:") for k in user_keys)
        account = f"{redis_prefix}:{{u:alice}}:user"
        for key in keys:
            ttl = await admin.pttl(key)
            assert ttl == -1 if key in (account, epoch) else ttl > 0, key
    finally:
        await store.close()


async def test_index_lives_as_long_as_its_longest_record(
    redis_prefix: str, admin: aioredis.Redis, clock: FakeClock
) -> None:
    """The index expires with the tombstone that outlives every session, plus the margin."""
    store = redis_stores(REDIS_TEST_URL, prefix=redis_prefix, clock=clock, ttl_margin=5)
    try:
        await _login(store, _record(clock, "a"))  # expires_at = now + 3600
        await _login(store, _record(clock, "b"))  # idle deadline now + 60
        ttl = await admin.pttl(f"{redis_prefix}:{{u:alice}}:index")
        assert 3600_000 < ttl <= 3605_000
        # An idle session becomes an "expired" tombstone until its expires_at.
        session_ttl = await admin.pttl(f"{redis_prefix}:{{u:alice}}:s:b")
        assert 3600_000 < session_ttl <= 3605_000
    finally:
        await store.close()


async def _commands_sent(url: str, action: Awaitable[object]) -> list[str]:
    """The commands (names only) clients sent to Redis while ``action`` ran.

    Scripts' own commands are left out: MONITOR labels them "lua".
    """
    return [command for command, _ in await _sent_by(url, action)]


async def _sent_by(url: str, action: Awaitable[object]) -> list[tuple[str, str]]:
    """Like :func:`_commands_sent`, each command with the client address it came from."""
    watcher = aioredis.Redis.from_url(url, decode_responses=True)
    marker = aioredis.Redis.from_url(url, decode_responses=True)
    sent: list[tuple[str, str]] = []
    try:
        await marker.ping()  # connected before MONITOR starts, so its HELLO is not seen
        async with watcher.monitor() as monitor:
            await action
            await marker.echo("end-of-action")
            async with asyncio.timeout(timeout(5)):
                async for entry in monitor.listen():
                    if entry["command"] == "ECHO end-of-action":
                        return sent
                    if entry["client_type"] != "lua":
                        name = entry["command"].split(" ", 1)[0].upper()
                        sent.append((name, f"{entry['client_address']}:{entry['client_port']}"))
    finally:
        await marker.aclose()
        await watcher.aclose()
    raise AssertionError("MONITOR ended early")


async def test_login_and_check_many_send_only_evalsha(
    private_redis: RedisProcess, clock: FakeClock
) -> None:
    """A warm login is two EVALSHAs (the login, the epoch bump) pipelined on one
    connection; check_many is one EVALSHA per pair and nothing else."""
    store = redis_stores(private_redis.url, prefix="lg", clock=clock)
    try:
        await _login(store, _record(clock, "warm-up"))
        await store.sessions.check("alice", "warm-up")
        # Several connections idle in the pool, so that calls sent apart would show.
        await asyncio.gather(*(store.sessions.check("alice", f"x{i}") for i in range(4)))
        sent = await _sent_by(private_redis.url, _login(store, _record(clock, "a")))
        assert [command for command, _ in sent] == ["EVALSHA", "EVALSHA"]
        assert len({client for _, client in sent}) == 1, sent
        refs = [("alice", "a"), ("alice", "warm-up"), ("bob", "x")]
        sent = await _commands_sent(private_redis.url, store.sessions.check_many(refs))
        assert sent == ["EVALSHA"] * 3
    finally:
        await store.close()


async def test_replies_are_parsed_by_hiredis() -> None:
    """The engine's connections parse replies with hiredis, not redis-py's Python parser."""
    link = Link(REDIS_TEST_URL, max_connections=1, timeout=timeout(2))
    try:
        async with link.io() as client:
            assert isinstance(client, aioredis.Redis)
            await client.ping()
            connection = await client.connection_pool.get_connection()
            try:
                assert isinstance(connection._parser, _AsyncHiredisParser)
            finally:
                await client.connection_pool.release(connection)
    finally:
        await link.close()


async def test_a_session_stored_before_device_classes_reads_as_desktop(
    redis_prefix: str, admin: aioredis.Redis, clock: FakeClock
) -> None:
    """A session hash without device_class (written before classes) checks and lists as
    desktop, and only a desktop login displaces it."""
    store = redis_stores(REDIS_TEST_URL, prefix=redis_prefix, clock=clock)
    classes = parse_limits("desktop=1,mobile=1")
    try:
        await _login(store, _record(clock, "old"))
        assert await admin.hdel(f"{redis_prefix}:{{u:alice}}:s:old", "device_class") == 1
        status = await store.sessions.check("alice", "old")
        assert isinstance(status, SessionRecord)
        assert status.device_class == "desktop"
        assert [s.device_class for s in await store.sessions.sessions_of("alice")] == ["desktop"]
        for jti, device_class, ended in [("m", "mobile", ()), ("d", "desktop", ("old",))]:
            record = dataclasses.replace(_record(clock, jti), device_class=device_class)
            out = await store.sessions.login(
                record, policy=Policy.DISPLACE, max_sessions=classes, takeover=False, idle_ttl=60
            )
            assert tuple(r.jti for r in out.ended) == ended
            assert all(r.device_class == "desktop" for r in out.ended)
    finally:
        await store.close()
