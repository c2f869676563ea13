"""What the Redis engine promises on a cluster with one primary down: the others serve on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from server.sessions.factory import Stores, redis_stores
from server.sessions.keys import Keys
from server.sessions.policy import Policy
from server.sessions.records import UNREACHABLE, SessionRecord, StoreUnavailable
from tests.conformance.helpers import FakeClock, Listener
from tests.support.redis_cluster import RedisCluster
from tests.support.server import new_prefix, timeout

pytestmark = pytest.mark.redis

IP = "10.0.0.9"


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


async def _login(store: Stores, user: str, jti: str) -> SessionRecord:
    now = store.sessions.clock()
    record = SessionRecord(user, jti, f"dev-{jti}", f"PC {jti}", IP, now, now + 3600)
    outcome = await store.sessions.login(
        record, policy=Policy.DISPLACE, max_sessions=1, takeover=False, idle_ttl=600
    )
    assert outcome.admitted == record
    return record


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
    listener = Listener(store)
    attempts, failing, begun, done = 0, True, asyncio.Event(), asyncio.Event()

    async def resync() -> None:
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
        await asyncio.wait_for(begun.wait(), timeout(10))  # resubscribed
        user = crippled.user_on(_prefix(store), crippled.primaries()[0])
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
