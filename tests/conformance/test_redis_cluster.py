"""What only the Redis engine on a Redis Cluster promises: slots, nodes, cursors, events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import pytest
from redis import exceptions as rx
from redis.crc import key_slot

from server.sessions.factory import Stores, redis_stores
from server.sessions.keys import Keys
from server.sessions.policy import Policy
from server.sessions.records import SessionRecord, StoreUnavailable, Tombstone
from server.sessions.redis_audit import Streams
from server.sessions.redis_conn import Link, cluster_seeds, is_cluster_url
from shared.reasons import EndReason
from tests.conformance.helpers import FakeClock
from tests.support.redis_cluster import RedisCluster
from tests.support.server import free_port, new_prefix, timeout

pytestmark = pytest.mark.redis


def _record(clock: FakeClock, user: str, jti: str) -> SessionRecord:
    return SessionRecord(user, jti, f"dev-{jti}", f"PC {jti}", "10.0.0.1", clock(), clock() + 3600)


async def _login(store: Stores, record: SessionRecord) -> None:
    await store.sessions.login(
        record, policy=Policy.DISPLACE, max_sessions=1, takeover=False, idle_ttl=60
    )


def test_a_cluster_url_names_seeds_and_options_for_every_node() -> None:
    """redis+cluster:// lists seed nodes; user, password and query options apply to each."""
    seeds, options = cluster_seeds(
        "rediss+cluster://lg:p%40ss@10.0.0.1:7000,redis-b?ssl_cert_reqs=none"
    )
    assert seeds == [("10.0.0.1", 7000), ("redis-b", 6379)]
    assert options == {"username": "lg", "password": "p@ss", "ssl": True, "ssl_cert_reqs": "none"}
    assert is_cluster_url("redis+cluster://h:1")
    assert not is_cluster_url("redis://h:1/0")


async def test_a_cluster_nobody_answers_fails_fast() -> None:
    """A cluster URL whose seeds do not listen raises StoreUnavailable within seconds."""
    url = f"redis+cluster://127.0.0.1:{free_port()},127.0.0.1:{free_port()}"
    store = redis_stores(url, prefix="lgtest-dead")
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailable):
            await store.ping()
        with pytest.raises(StoreUnavailable):
            await store.sessions.check("alice", "a")
        with pytest.raises(StoreUnavailable):
            await store.sessions.scan_sessions("0", 10)
    finally:
        await store.close()
    assert time.monotonic() - started < 3.0


@pytest.fixture
async def cluster_store(
    redis_cluster: RedisCluster, cluster_prefix: str, clock: FakeClock
) -> AsyncIterator[Stores]:
    store = redis_stores(redis_cluster.url, prefix=cluster_prefix, clock=clock)
    yield store
    await store.close()


async def test_users_on_every_primary_log_in_displace_and_end(
    redis_cluster: RedisCluster, cluster_prefix: str, cluster_store: Stores, clock: FakeClock
) -> None:
    """Users whose slots sit on three different primaries each get the full lifecycle there."""
    users = [redis_cluster.user_on(cluster_prefix, port) for port in redis_cluster.ports]
    for user in users:
        await _login(cluster_store, _record(clock, user, f"{user}-a"))
        await _login(cluster_store, _record(clock, user, f"{user}-b"))  # displaces -a
    for user, port in zip(users, redis_cluster.ports, strict=True):
        with redis_cluster.client(port) as node:
            keys = sorted(
                k
                for k in node.scan_iter(match=f"{cluster_prefix}:*", count=1000)
                if k != Keys(cluster_prefix).epoch  # the write counter lives on one primary
            )
        # The audit stream of the user's own slot sits beside the user's keys.
        audit = Streams(Keys(cluster_prefix), cluster=True, audit_max=1).of(
            Keys(cluster_prefix).index(user)
        )
        assert keys == sorted(
            [
                Keys(cluster_prefix).of_user(user) + k
                for k in ("index", f"s:{user}-b", f"t:{user}-a")
            ]
            + [audit]
        )
        assert await cluster_store.sessions.footprint(user) == 3
        ended = await cluster_store.sessions.end(user, f"{user}-b", EndReason.LOGGED_OUT)
        assert ended is not None
        assert ended.jti == f"{user}-b"
    assert await cluster_store.sessions.scan_sessions("0", 1000) == ([], "0")


async def test_check_many_across_nodes_answers_in_order(
    redis_cluster: RedisCluster, cluster_prefix: str, cluster_store: Stores, clock: FakeClock
) -> None:
    """A pipelined check_many spanning every primary keeps the callers' order."""
    users = [redis_cluster.user_on(cluster_prefix, port) for port in redis_cluster.ports]
    live = {}
    for user in users:
        await _login(cluster_store, _record(clock, user, "old"))
        live[user] = _record(clock, user, "new")
        await _login(cluster_store, live[user])
    refs = [(u, j) for j in ("new", "gone", "old") for u in reversed(users)]
    statuses = await cluster_store.sessions.check_many(refs)
    for (user, jti), status in zip(refs, statuses, strict=True):
        if jti == "new":
            assert status == live[user]
        elif jti == "old":
            assert isinstance(status, Tombstone)
            assert status.by is not None
            assert status.by["device_name"] == "PC new"
        else:
            assert status is None


async def test_a_scan_cursor_names_a_node_and_resumes_in_another_process(
    redis_cluster: RedisCluster, cluster_prefix: str, cluster_store: Stores, clock: FakeClock
) -> None:
    """Cursors look like "<node>:<cursor>", and a walk handed between stores sees everyone."""
    expected = set()
    for port in redis_cluster.ports:
        taken: tuple[str, ...] = ()
        for _ in range(3):
            user = redis_cluster.user_on(cluster_prefix, port, avoid=taken)
            taken += (user,)
            await _login(cluster_store, _record(clock, user, "j"))
            expected.add(user)
    other = redis_stores(redis_cluster.url, prefix=cluster_prefix, clock=clock)
    try:
        seen: set[str] = set()
        cursors = []
        cursor, stores = "0", [cluster_store, other]
        while True:
            page, cursor = await stores[len(cursors) % 2].sessions.scan_sessions(cursor, 1)
            seen |= {record.user for record in page}
            cursors.append(cursor)
            if cursor == "0":
                break
        assert seen == expected
        nodes = {int(c.partition(":")[0]) for c in cursors[:-1]}
        assert nodes <= {0, 1, 2}
        assert len(nodes) >= 2  # the walk went past the first primary
        with pytest.raises(ValueError, match="cursor"):
            await other.sessions.scan_sessions("3:0", 1)  # there is no fourth primary
    finally:
        await other.close()


async def test_scripts_refuse_keys_of_another_slot(
    redis_cluster: RedisCluster, cluster_prefix: str, cluster_store: Stores, clock: FakeClock
) -> None:
    """Scripts are flagged, so the cluster refuses one that reaches outside KEYS[1]'s slot."""
    keys = Keys(cluster_prefix)
    port = redis_cluster.ports[0]
    alice = redis_cluster.user_on(cluster_prefix, port)
    # Same node, other slot: an unflagged script would be let through.
    bob = redis_cluster.user_on(cluster_prefix, port, avoid=(alice,))
    await _login(cluster_store, _record(clock, alice, "a"))
    link = Link(redis_cluster.url, max_connections=4, timeout=timeout(2))
    try:
        script = link.script("check.lua")
        streams = Streams(keys, cluster=True, audit_max=100)
        # check.lua finds "s:a" in the index of KEYS[1], then reads "<ARGV[1]>s:a": bob's.
        stray = streams.call(
            [keys.index(alice)], [keys.of_user(bob), "a", clock(), "", 0, "ch", alice, 0]
        )
        with pytest.raises(rx.ResponseError, match="same slot"):
            await link.run(script, stray)
        own = streams.call(
            [keys.index(alice)], [keys.of_user(alice), "a", clock(), "", 0, "ch", alice, 0]
        )
        assert (await link.run(script, own))[0] == "s"
        # A call without the audit stream last is refused before it changes anything.
        bare = ([keys.index(alice)], [keys.of_user(alice), "a", clock(), "", 0, "ch", alice, 0])
        with pytest.raises(rx.ResponseError, match="the last key must be the audit stream"):
            await link.run(script, bare)
    finally:
        await link.close()


async def test_a_dead_primary_holding_the_write_counter_fails_no_login_elsewhere(
    doomed_cluster: RedisCluster, clock: FakeClock
) -> None:
    """With the epoch key's primary down, users on the other primaries still log in and end."""
    prefix = new_prefix()
    store = redis_stores(doomed_cluster.url, prefix=prefix, clock=clock)
    try:
        dead = doomed_cluster.port_of_key(Keys(prefix).epoch)
        await _login(store, _record(clock, doomed_cluster.user_on(prefix, dead), "warm"))
        doomed_cluster.stop_node(dead)
        alive = next(port for port in doomed_cluster.ports if port != dead)
        user = doomed_cluster.user_on(prefix, alive)
        async with asyncio.timeout(timeout(15)):
            while True:  # until the client has noticed the node is gone
                with contextlib.suppress(StoreUnavailable):
                    await _login(store, _record(clock, user, "a"))
                    break
                await asyncio.sleep(0.2)
        await _login(store, _record(clock, user, "b"))
        assert await store.sessions.end(user, "b", EndReason.LOGGED_OUT) is not None
        # Nothing to learn from an unreachable counter, and no outage of the whole store.
        assert await store.sessions.watch() is False
    finally:
        await store.close()


async def test_everyones_audit_is_read_when_a_slot_moved_under_the_client(
    redis_cluster: RedisCluster,
    cluster_prefix: str,
    cluster_store: Stores,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the client's slot map is stale (a resharding), the one-script-per-node read
    fails and the reader falls back to one XRANGE per stream: every entry still comes."""
    users = [redis_cluster.user_on(cluster_prefix, port) for port in redis_cluster.ports]
    for user in users:
        await _login(cluster_store, _record(clock, user, f"{user}-a"))
    before = await cluster_store.audit.read(None, None, 100)
    assert sorted(e.user for e in before.entries) == sorted(users)
    client = cluster_store.sessions._link.cluster_client  # type: ignore[attr-defined]
    slot = key_slot(Keys(cluster_prefix).index(users[0]).encode())
    cache = client.nodes_manager.slots_cache
    right = cache[slot]
    wrong = next(n for n in client.get_primaries() if n.name != right[0].name)
    cache[slot] = [wrong]
    try:
        with caplog.at_level(logging.INFO, logger="loginguard.store"):
            after = await cluster_store.audit.read(None, None, 100)
    finally:
        cache[slot] = right
    assert "event=audit_read_fallback" in caplog.text
    assert [e.id for e in after.entries] == [e.id for e in before.entries]
