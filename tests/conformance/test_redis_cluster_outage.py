"""What the Redis engine promises on a cluster when a primary dies or hands over its slots."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.crc import key_slot

from server.sessions.attempts import Limits, Reservation
from server.sessions.factory import Stores, redis_stores
from server.sessions.keys import Keys
from server.sessions.policy import Policy
from server.sessions.records import (
    UNREACHABLE,
    Account,
    SessionRecord,
    StoreUnavailable,
)
from server.sessions.redis_audit import Streams
from server.sessions.redis_nodes import NodeUnreachable
from tests.conformance.helpers import FakeClock, Listener
from tests.support.redis_cluster import RedisCluster
from tests.support.server import new_prefix, timeout

pytestmark = pytest.mark.redis

IP = "10.0.0.9"
LIMITS = Limits(per_account=3, per_device=2, per_ip=1, window=60)


@pytest.fixture
def crippled() -> Iterator[RedisCluster]:
    """A cluster of this test's own, whose nodes keep serving their slots when one dies."""
    cluster = RedisCluster(options=("--cluster-require-full-coverage", "no")).start()
    yield cluster
    cluster.stop()


@pytest.fixture
async def crippled_store(crippled: RedisCluster, clock: FakeClock) -> AsyncIterator[Stores]:
    store = redis_stores(crippled.url, prefix=new_prefix(), clock=clock)
    yield store
    await store.close()


def _prefix(store: Stores) -> str:
    return str(store.sessions._keys.prefix)  # type: ignore[attr-defined]


async def _login(
    store: Stores, user: str, jti: str, settle: Reservation | None = None
) -> SessionRecord:
    now = store.sessions.clock()
    record = SessionRecord(user, jti, f"dev-{jti}", f"PC {jti}", IP, now, now + 3600)
    outcome = await store.sessions.login(
        record, policy=Policy.DISPLACE, max_sessions=1, takeover=False, idle_ttl=600, settle=settle
    )
    assert outcome.admitted == record
    return record


async def test_every_key_of_an_account_but_the_ip_bucket_shares_the_accounts_slot(
    redis_cluster: RedisCluster, cluster_prefix: str, clock: FakeClock
) -> None:
    """Reserving, failing, settling and signing in write the account's keys in its own
    slot; only the IP bucket (and the write counter) live elsewhere."""
    keys = Keys(cluster_prefix)
    limits = Limits(per_account=5, per_device=5, per_ip=5, window=60)
    store = redis_stores(redis_cluster.url, prefix=cluster_prefix, clock=clock)
    try:
        await store.accounts.put(Account("alice", "hash"))
        failed = await store.attempts.reserve("alice", "dev-x", IP, limits)
        assert failed.reservation is not None
        await store.attempts.failed(failed.reservation)  # a wrong password keeps it
        right = await store.attempts.reserve("alice", "dev-a", IP, limits)
        await _login(store, "alice", "a", settle=right.reservation)  # dev-a is known now
        again = await store.attempts.reserve("alice", "dev-a", IP, limits)
        assert again.reservation is not None
        assert again.reservation.known_device
    finally:
        await store.close()
    found = set()
    for port in redis_cluster.primaries():
        with redis_cluster.client(port) as node:
            found |= set(node.scan_iter(match=f"{cluster_prefix}:*", count=1000))
    elsewhere = {keys.ip_bucket(IP), keys.epoch}
    home = key_slot(keys.index("alice").encode())
    of_alice = found - elsewhere
    assert {key_slot(key.encode()) for key in of_alice} == {home}
    assert of_alice == {
        keys.account("alice"),
        keys.devices("alice"),
        keys.account_bucket("alice"),
        keys.device_bucket("alice", "dev-a"),
        keys.index("alice"),
        keys.of_user("alice") + "s:a",
        Streams(keys, cluster=True, audit_max=1).of(keys.index("alice")),  # the slot's audit
    }
    assert keys.ip_bucket(IP) in found


async def test_a_dead_ip_shard_lifts_the_ip_limit_only(
    crippled: RedisCluster,
    crippled_store: Stores,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With the IP bucket's shard down, logins of accounts elsewhere go on unchecked by
    the IP limit (and say so), while 200 at once still get no more than the account's
    limit; accounts on the dead shard fail closed."""
    store, prefix = crippled_store, _prefix(crippled_store)
    dead = crippled.port_of_key(Keys(prefix).ip_bucket(IP))
    alive = next(port for port in crippled.primaries() if port != dead)
    alice = crippled.user_on(prefix, alive)
    bob = crippled.user_on(prefix, dead)
    await store.accounts.put(Account(alice, "hash"))
    await store.accounts.put(Account(bob, "hash"))
    crippled.kill(dead)

    with caplog.at_level(logging.INFO, logger="loginguard.store"):
        tickets = await asyncio.gather(
            *(store.attempts.reserve(alice, f"dev-{i}", IP, LIMITS) for i in range(200))
        )
    held = [t for t in tickets if t.reservation is not None]
    assert len(held) == LIMITS.per_account  # the IP limit (1) would have held one
    assert all(t.unchecked == ("ip",) for t in held)
    assert all(t.reservation is not None and not t.reservation.holds_ip for t in held)
    assert all(t.retry_after > 0 for t in tickets if t.reservation is None)
    assert all(t.account == Account(alice, "hash") for t in tickets)
    for ticket in held:
        assert ticket.reservation is not None
        await store.attempts.failed(ticket.reservation)
    with pytest.raises(StoreUnavailable):
        await store.attempts.reserve(bob, "dev-b", IP, LIMITS)
    lines = [r.getMessage() for r in caplog.records]
    assert sum("event=rate_limit_degraded limit=ip" in line for line in lines) == 1, lines


async def test_a_shard_out_of_memory_does_not_lift_the_ip_limit(
    crippled: RedisCluster, crippled_store: Stores
) -> None:
    """A node that answers but refuses writes (out of memory) is not a dead shard: a
    login whose IP bucket it holds fails closed rather than going on unchecked."""
    store, prefix = crippled_store, _prefix(crippled_store)
    full = crippled.port_of_key(Keys(prefix).ip_bucket(IP))
    alice = crippled.user_on(prefix, next(p for p in crippled.primaries() if p != full))
    await store.accounts.put(Account(alice, "hash"))
    with crippled.client(full) as node:
        node.config_set("maxmemory", "1")  # with the default noeviction: writes refused
    with pytest.raises(StoreUnavailable) as refused:
        await store.attempts.reserve(alice, "dev-a", IP, LIMITS)
    assert not isinstance(refused.value, NodeUnreachable)


async def test_check_many_answers_the_live_shards_and_leaves_the_dead_one_unreachable(
    crippled: RedisCluster, crippled_store: Stores
) -> None:
    """One primary down: check_many answers every session elsewhere, in order, and marks
    those of the dead primary UNREACHABLE rather than failing or calling them ended."""
    store, prefix = crippled_store, _prefix(crippled_store)
    users = [crippled.user_on(prefix, port) for port in crippled.primaries()]
    records = {user: await _login(store, user, f"{user}-a") for user in users}
    dead = crippled.primaries()[1]
    crippled.kill(dead)
    refs = [(user, f"{user}-a") for user in reversed(users)] + [(users[0], "gone")]
    statuses = await store.sessions.check_many(refs, touch_ttl=600)
    expected = [
        UNREACHABLE if crippled.port_of_key(Keys(prefix).index(user)) == dead else records[user]
        for user in reversed(users)
    ]
    assert statuses == [*expected, None]
    with pytest.raises(StoreUnavailable):
        await store.sessions.check(crippled.user_on(prefix, dead), "x")


async def test_a_failing_resync_keeps_the_subscription_and_is_tried_again(
    crippled: RedisCluster, crippled_store: Stores
) -> None:
    """While the resync after a lost subscription fails, events are still delivered at
    once, and the resync is tried again until it completes."""
    store = crippled_store
    user = crippled.user_on(_prefix(store), crippled.primaries()[0])
    listener = Listener(store, (user,))
    attempts, failing, begun, done = 0, True, asyncio.Event(), asyncio.Event()

    async def resync(users: frozenset[str] | None) -> None:
        nonlocal attempts
        attempts += 1
        begun.set()
        if failing:
            raise StoreUnavailable("redis: a shard is down")
        done.set()

    task = asyncio.create_task(store.events.listen(listener.handle, resync))
    try:
        await listener.ready()
        crippled.drop_subscribers(crippled.ports)
        await asyncio.wait_for(begun.wait(), timeout(10))  # a shard resubscribed
        # The probe user's shard may be back before the user's: until the user is heard
        # again its events go to nobody (the resync is what covers that gap).
        assert await store.events.heard(user, timeout(10))
        await _login(store, user, "a")
        await _login(store, user, "b")
        event = await listener.next(within=timeout(2))
        assert (event.user, event.jti) == (user, "a")
        assert not done.is_set()
        failing = False
        await asyncio.wait_for(done.wait(), timeout(15))
        assert attempts >= 2
    finally:
        task.cancel()
        await asyncio.wait([task])


async def test_calls_follow_a_primary_that_handed_its_slots_to_its_replica(
    clock: FakeClock,
) -> None:
    """After a manual failover the old primary answers MOVED: a store that still has the
    old topology is redirected, loads its scripts on the new primary, and carries on."""
    # A short node timeout makes the nodes gossip, and learn who replicates whom, sooner.
    cluster = RedisCluster(replicas=1, options=("--cluster-node-timeout", "1000")).start()
    store = redis_stores(cluster.url, prefix=new_prefix(), clock=clock)
    try:
        prefix = _prefix(store)
        old = cluster.primaries()[0]
        user = cluster.user_on(prefix, old)
        first = await _login(store, user, "a")
        replica = cluster.replica_of(old)
        cluster.wait_replicated(old)
        with cluster.client(replica) as node:
            node.execute_command("CLUSTER", "FAILOVER")
        async with asyncio.timeout(timeout(15)):
            while True:
                with cluster.client(old) as node:
                    if node.info("replication")["role"] == "slave":
                        break
                await asyncio.sleep(0.05)
        assert await store.sessions.check(user, "a") == first
        await _login(store, user, "b")  # displaces a: a script that changes, redirected
        statuses = await store.sessions.check_many([(user, "a"), (user, "b")])
        assert [type(s).__name__ for s in statuses] == ["Tombstone", "SessionRecord"]
    finally:
        await store.close()
        cluster.stop()
