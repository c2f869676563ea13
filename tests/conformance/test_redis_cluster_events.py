"""Events on Redis Cluster: each user's own sharded channel, heard only where followed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from server.sessions.factory import Stores, redis_stores
from server.sessions.keys import Keys
from server.sessions.policy import Policy
from server.sessions.records import SessionEvent, SessionRecord
from shared.reasons import EndReason
from tests.conformance.helpers import PROBE_USER, FakeClock, listening
from tests.support.polling import eventually
from tests.support.redis_cluster import RedisCluster
from tests.support.server import new_prefix, timeout

pytestmark = pytest.mark.redis


def _record(clock: FakeClock, user: str, jti: str) -> SessionRecord:
    return SessionRecord(user, jti, f"dev-{jti}", f"PC {jti}", "10.0.0.1", clock(), clock() + 3600)


async def _login(store: Stores, record: SessionRecord) -> None:
    await store.sessions.login(
        record, policy=Policy.DISPLACE, max_sessions=1, takeover=False, idle_ttl=60
    )


@pytest.fixture
async def cluster_store(
    redis_cluster: RedisCluster, cluster_prefix: str, clock: FakeClock
) -> AsyncIterator[Stores]:
    store = redis_stores(redis_cluster.url, prefix=cluster_prefix, clock=clock)
    yield store
    await store.close()


def _one_per_primary(cluster: RedisCluster, prefix: str) -> dict[int, str]:
    """A user on each primary (port → user)."""
    users: dict[int, str] = {}
    for port in cluster.primaries():
        users[port] = cluster.user_on(prefix, port, avoid=users.values())
    return users


async def test_a_users_events_travel_on_its_own_shard_to_its_followers_only(
    redis_cluster: RedisCluster, cluster_prefix: str, cluster_store: Stores, clock: FakeClock
) -> None:
    """A followed user's displacement arrives through one subscription on the primary of
    its slot; an unfollowed user's events are not delivered at all."""
    keys = Keys(cluster_prefix)
    users = _one_per_primary(redis_cluster, cluster_prefix)
    (home, followed), (_, other) = list(users.items())[:2]
    async with listening(cluster_store, followed) as listener:
        assert redis_cluster.shard_subscribers(keys.events(followed)) == {
            port: int(port == home) for port in redis_cluster.ports
        }
        assert sum(redis_cluster.subscribers(keys.channel).values()) == 0  # no broadcast
        await _login(cluster_store, _record(clock, other, "o1"))
        await _login(cluster_store, _record(clock, other, "o2"))  # displaces o1: unheard
        await _login(cluster_store, _record(clock, followed, "a"))
        await _login(cluster_store, _record(clock, followed, "b"))
        event = await listener.next()
        assert event == SessionEvent(followed, "a", EndReason.DISPLACED, event.by)
        with pytest.raises(TimeoutError):
            await listener.next(within=0.3)
    assert sum(redis_cluster.shard_subscribers(keys.events(followed)).values()) == 0


async def test_an_unfollowed_user_is_unsubscribed_and_a_burst_of_follows_is_batched(
    redis_cluster: RedisCluster, cluster_prefix: str, cluster_store: Stores
) -> None:
    """Two hundred users followed at once are all heard, on at most one connection per
    primary; the one unfollowed is unsubscribed and the others stay."""
    keys = Keys(cluster_prefix)
    crowd = [f"crowd{i}" for i in range(200)]
    async with listening(cluster_store, *crowd) as listener:
        events = cluster_store.events
        connections = {port: 0 for port in redis_cluster.primaries()}
        for port in connections:
            with redis_cluster.client(port) as node:
                connections[port] = len(node.client_list(_type="pubsub"))
        assert set(connections.values()) == {1}, connections
        events.unfollow(crowd[0])
        gone = keys.events(crowd[0])
        await eventually(lambda: not sum(redis_cluster.shard_subscribers(gone).values()))
        assert sum(redis_cluster.shard_subscribers(keys.events(crowd[1])).values()) == 1
        assert events.mark(crowd[0]) is None
        assert events.mark(crowd[1]) is not None
        assert listener.resyncs == 0


async def test_a_dead_primary_silences_only_its_own_users(
    doomed_cluster: RedisCluster, clock: FakeClock
) -> None:
    """When a primary dies (no replica), the users of the other shards are heard on and
    resynced not at all; the dead shard's users are not heard."""
    prefix = new_prefix()
    users = _one_per_primary(doomed_cluster, prefix)
    store = redis_stores(doomed_cluster.url, prefix=prefix, clock=clock)
    try:
        async with listening(store, *users.values()) as listener:
            probe = doomed_cluster.port_of_key(Keys(prefix).events(PROBE_USER))
            dead = next(port for port in users if port != probe)
            doomed_cluster.stop_node(dead)
            await eventually(lambda: store.events.mark(users[dead]) is None, 10)
            for port, user in users.items():
                if port == dead:
                    continue
                await _login(store, _record(clock, user, f"{port}-a"))
                await _login(store, _record(clock, user, f"{port}-b"))
                event = await listener.next()
                assert (event.user, event.jti) == (user, f"{port}-a")
            assert not await store.events.heard(users[dead], 0.5)
            assert listener.resyncs == 0
    finally:
        await store.close()


async def test_a_failover_resubscribes_and_resyncs_exactly_that_shards_users(
    clock: FakeClock,
) -> None:
    """A primary is killed and its replica promoted: its users are subscribed on the new
    primary and resynced, the other shards' users are not, and events flow again."""
    cluster = RedisCluster(replicas=1, options=("--cluster-node-timeout", "1000")).start()
    prefix = new_prefix()
    store = redis_stores(cluster.url, prefix=prefix, clock=clock)
    try:
        users = _one_per_primary(cluster, prefix)
        dead = cluster.primaries()[0]
        followed = (*users.values(), PROBE_USER)
        on_dead = {u for u in followed if cluster.port_of_key(Keys(prefix).events(u)) == dead}
        async with listening(store, *users.values()) as listener:
            cluster.kill(dead)
            promoted = await asyncio.to_thread(cluster.wait_promoted, dead)
            await eventually(
                lambda: set().union(*(u or () for u in listener.resynced_users)) == on_dead, 15
            )
            assert None not in listener.resynced_users
            channel = Keys(prefix).events(users[dead])
            assert cluster.shard_subscribers(channel, [promoted]) == {promoted: 1}
            with contextlib.suppress(TimeoutError):
                while True:  # drain whatever the failover left queued
                    await listener.next(within=0.1)
            await _login(store, _record(clock, users[dead], "after-1"))
            await _login(store, _record(clock, users[dead], "after-2"))
            event = await listener.next(within=timeout(5))
            assert (event.user, event.jti) == (users[dead], "after-1")
    finally:
        await store.close()
        cluster.stop()


async def test_a_manual_failover_moves_a_users_subscription_to_the_new_primary(
    clock: FakeClock,
) -> None:
    """When a primary hands its slots to its replica (CLUSTER FAILOVER), the old primary
    drops the users' channels itself; they are subscribed in the shard again, resynced,
    and their events are heard again."""
    cluster = RedisCluster(replicas=1, options=("--cluster-node-timeout", "1000")).start()
    prefix = new_prefix()
    store = redis_stores(cluster.url, prefix=prefix, clock=clock)
    try:
        old = cluster.primaries()[0]
        user = cluster.user_on(prefix, old)
        async with listening(store, user) as listener:
            replica = cluster.replica_of(old)
            cluster.wait_replicated(old)
            with cluster.client(replica) as node:
                node.execute_command("CLUSTER", "FAILOVER")
            channel = Keys(prefix).events(user)
            await eventually(lambda: any(user in (u or ()) for u in listener.resynced_users), 15)
            # Subscribed again on the new primary, not on the demoted one: that one hears
            # its shard's messages only once the new primary knows it as its replica.
            subscribers = cluster.shard_subscribers(channel, [old, replica])
            assert subscribers == {old: 0, replica: 1}, subscribers
            await _login(store, _record(clock, user, "after-1"))
            await _login(store, _record(clock, user, "after-2"))
            event = await listener.next(within=timeout(5))
            assert (event.user, event.jti) == (user, "after-1")
    finally:
        await store.close()
        cluster.stop()
